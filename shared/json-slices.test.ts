import fs from 'node:fs';
import path from 'node:path';
import { arrayElementTexts, memberArrayElementTexts } from './json-slices';

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
});
