/**
 * Counts the values of a JSON text (strings, object keys included, numbers, literals,
 * objects and arrays) without parsing it, and stops once past `max`.
 *
 * Why: JSON.parse runs before any check can look at a request, and its cost is per value,
 * not per byte: a 1 MiB body of 100,000 short strings (an attacker's `names` variable) takes
 * 26-65 ms to parse here, where one char-code scan of the same text takes ~1 ms. Refusing a
 * body with too many values before parsing it keeps every refusal cheap, and bounds what an
 * accepted body can cost to parse (LIMIT_JSON_VALUES).
 *
 * The scan does not validate: a malformed text is counted as far as it goes, and JSON.parse
 * refuses it afterwards as before.
 */
export function jsonValuesPast(text: string, max: number): number | undefined {
  let count = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      count++;
      // Skip to the closing quote; a backslash escapes the next character.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      count++;
    } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d /* - */ || c === 0x74 /* t */ || c === 0x66 /* f */ || c === 0x6e /* n */) {
      count++;
      // The rest of the number or literal.
      while (i + 1 < n && isScalarChar(text.charCodeAt(i + 1))) i++;
    } else {
      continue;
    }
    if (count > max) return count;
  }
  return undefined;
}

/** Characters that continue a number (digits, . e E + -) or a literal (true, false, null). */
const isScalarChar = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x2e || c === 0x2b || c === 0x2d || c === 0x45;
