/**
 * Weight restrictions: ids are grams as text ("3.5", "0.7", "28"). Products report their net
 * weight in grams too, but POS catalogs often carry the exact imperial conversion (an eighth is
 * 3.5436 g, shown as 3.54; an ounce is 28.35 g) while deals say 3.5 or 28.
 *
 * Decision: a product weight matches a restriction weight when they differ by at most 1.5 % of
 * the restriction weight, or by at most 0.01 g (rounding). 1.5 % covers every imperial size
 * (3.5 vs 3.5436 is 1.25 %; 28 vs 28.35 is 1.25 %) and still keeps neighbouring sizes apart
 * (0.5 vs 0.7, 1 vs 1.2, 3.5 vs 3.7 all differ by more than 5 %).
 *
 * Weights are not money: they are compared as integer milligrams.
 */
const TOLERANCE_PER_MILLE = 15;
const TOLERANCE_FLOOR_MG = 10;
const DECIMAL = /^\s*\d+(\.\d+)?\s*$/;

/** Grams as text to integer milligrams; null when the text is not a non-negative decimal. */
export function gramsToMg(grams: string | null | undefined): number | null {
  if (grams === null || grams === undefined || !DECIMAL.test(grams)) return null;
  return Math.round(Number(grams) * 1000);
}

/** Whether a product weighing `productMg` satisfies a restriction of `restrictionMg`. */
export function weightMatches(productMg: number, restrictionMg: number): boolean {
  const diff = Math.abs(productMg - restrictionMg);
  return diff <= TOLERANCE_FLOOR_MG || diff * 1000 <= restrictionMg * TOLERANCE_PER_MILLE;
}
