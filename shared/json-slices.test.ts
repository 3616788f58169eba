import fs from 'node:fs';
import path from 'node:path';
import { arrayElementTexts, memberArrayElements, memberArrayElementTexts, wholeArrayElementTexts } from './json-slices';

const FIXTURE_PATH = path.join(__dirname, '..', 'services', 'sandbox', 'data', 'az-store-discounts.json');

describe('source text of each array element', () => {
  it('splits tricky JSON exactly (strings with brackets, escapes, nesting, numbers like 5.0)', () => {
    const text = ' [ {"a":"x],}\\"{","b":[1,{"c":5.0}]} ,\n 12 , "s\\\\" ,null,[],{} ] ';
    const parts = arrayElementTexts(text);
    expect(parts).toEqual(['{"a":"x],}\\"{","b":[1,{"c":5.0}]}', '12', '"s\\\\"', 'null', '[]', '{}']);
    expect(parts.map((p) => JSON.parse(p) as unknown)).toEqual(JSON.parse(text));
    expect(arrayElementTexts('[]')).toEqual([]);
  });

  it('finds the Data array of a Backoffice envelope', () => {
    const text = '{"Result":true,"Message":"a \\"Data\\": [1]","Data":[{"Id":1,"X":{"Y":[2]}},{"Id":2}],"Extra":{}}';
    expect(memberArrayElementTexts(text, 'Data')).toEqual(['{"Id":1,"X":{"Y":[2]}}', '{"Id":2}']);
  });

  it('gives back the recorded fixture records byte for byte', () => {
    const text = fs.readFileSync(FIXTURE_PATH, 'utf8');
    const parts = arrayElementTexts(text);
    expect(parts).toHaveLength(691);
    expect(parts.map((p) => JSON.parse(p) as unknown)).toEqual(JSON.parse(text));
    expect(parts[0]).toContain('"thresholdMin": 5.0');
  });

  it('slices + JSON.parse of each element accept exactly the documents JSON.parse accepts (every truncation, trailing text)', () => {
    const valid = ' [ {"a":"x],}\\"{","b":[1,{"c":5.0}]} ,\n 12 , "s\\\\" ,null,[],{} ] ';
    const jsonOk = (t: string): boolean => { try { JSON.parse(t); return true; } catch { return false; } };
    const slicedOk = (t: string): boolean => {
      try { for (const e of wholeArrayElementTexts(t)) JSON.parse(e); return true; } catch { return false; }
    };
    expect(jsonOk(valid)).toBe(true);
    const docs = [
      ...Array.from({ length: valid.length }, (_, n) => valid.slice(0, n)),
      `${valid}x`, `${valid}]`, `${valid},[]`, '[1,]', '[,1]', '[1 2]', '[{"a":[1}]]', '[tru]', '[1]  \n',
    ];
    for (const t of docs) expect([t, slicedOk(t)]).toEqual([t, jsonOk(t)]);
  });

  it('gives where the Data array of an envelope starts and ends (the rest of the envelope can be checked on its own)', () => {
    const text = '{"Result":true,"Data":[{"Id":1},{"Id":2}] ,"Message":null}';
    const { texts, start, end } = memberArrayElements(text, 'Data');
    expect(texts).toEqual(['{"Id":1}', '{"Id":2}']);
    expect(text.slice(start, end)).toBe('[{"Id":1},{"Id":2}]');
    expect(JSON.parse(`${text.slice(0, start)}[]${text.slice(end)}`)).toEqual({ Result: true, Data: [], Message: null });
    expect(() => memberArrayElements('{"Result":true,"Data":[{"Id":1},{"Id"', 'Data')).toThrow();
  });
});

