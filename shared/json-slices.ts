/**
 * The source text of each element of a JSON array, so the poller publishes each record exactly as
 * the source sent it (no re-serialisation: `5.0` stays `5.0`) and hashes those bytes. The caller
 * has already parsed the text (so it is valid JSON); this only finds element boundaries.
 */

const QUOTE = 34; const BACKSLASH = 92; const OPEN_SQ = 91; const CLOSE_SQ = 93; const OPEN_CU = 123; const CLOSE_CU = 125; const COMMA = 44;
const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/** Index just past the string starting at `i` (a quote). Native indexOf does the scanning. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q === -1) return text.length;
    let backslashes = 0;
    for (let k = q - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

const STRUCTURE = /["[\]{}]/g;

/** Index just past the JSON value starting at `i`; a regex jumps between structural characters. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c !== OPEN_SQ && c !== OPEN_CU) {
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === COMMA || d === CLOSE_SQ || d === CLOSE_CU || isSpace(d)) break;
      j++;
    }
    return j;
  }
  let depth = 0;
  STRUCTURE.lastIndex = i;
  for (let m = STRUCTURE.exec(text); m !== null; m = STRUCTURE.exec(text)) {
    const d = text.charCodeAt(m.index);
    if (d === QUOTE) { STRUCTURE.lastIndex = skipString(text, m.index); continue; }
    if (d === OPEN_SQ || d === OPEN_CU) depth++;
    else { depth--; if (depth === 0) return m.index + 1; }
  }
  return text.length;
}

const skipSpace = (text: string, i: number): number => { while (i < text.length && isSpace(text.charCodeAt(i))) i++; return i; };

/** The text of each element of the array starting at index `start` (a `[`), and the index just past its `]`. */
export function arrayElements(text: string, start = skipSpace(text, 0)): { texts: string[]; end: number } {
  if (text.charCodeAt(start) !== OPEN_SQ) throw new Error('not an array');
  const texts: string[] = [];
  let i = skipSpace(text, start + 1);
  if (text.charCodeAt(i) === CLOSE_SQ) return { texts, end: i + 1 };
  for (;;) {
    const end = skipValue(text, i);
    texts.push(text.slice(i, end));
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === CLOSE_SQ) return { texts, end: i + 1 };
    if (c !== COMMA) throw new Error(`unexpected character at ${i}`);
    i = skipSpace(text, i + 1);
  }
}

/** The text of each element of the array starting at index `start` (a `[`). */
export function arrayElementTexts(text: string, start = skipSpace(text, 0)): string[] {
  return arrayElements(text, start).texts;
}

/**
 * The elements of a document that is one array and nothing else (whitespace aside). The elements
 * themselves are not checked: JSON.parse of each one, with this, checks the whole document.
 */
export function wholeArrayElementTexts(text: string): string[] {
  const { texts, end } = arrayElements(text);
  if (skipSpace(text, end) !== text.length) throw new Error(`unexpected character at ${skipSpace(text, end)}`);
  return texts;
}

/**
 * The elements of the array under top-level key `key` of an object (e.g. Backoffice `Data`), with
 * where that array starts and ends (the rest of the document is `text` without that span).
 */
export function memberArrayElements(text: string, key: string): { texts: string[]; start: number; end: number } {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_CU) throw new Error('not an object');
  i = skipSpace(text, i + 1);
  while (i < text.length && text.charCodeAt(i) !== CLOSE_CU) {
    const keyEnd = skipString(text, i);
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd) + 1; // past ':'
    i = skipSpace(text, i);
    if (name === key) return { ...arrayElements(text, i), start: i };
    i = skipSpace(text, skipValue(text, i));
    if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
  }
  throw new Error(`no member ${key}`);
}

/** The text of each element of the array under top-level key `key` of an object (e.g. Backoffice `Data`). */
export function memberArrayElementTexts(text: string, key: string): string[] {
  return memberArrayElements(text, key).texts;
}
