// Number and text formatting for the dashboard: hex IOVAs, byte counts, page sizes, errno lines.
// Sizes use binary units; IOVAs and lengths stay exact hex strings.

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${+(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${+(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function pageSize(n: number | string): string {
  const v = Number(n);
  if (v >= 1024 ** 3) return `${v / 1024 ** 3}G`;
  if (v >= 1024 ** 2) return `${v / 1024 ** 2}M`;
  return `${v / 1024}K`;
}

export function hex(n: bigint | number | string): string {
  return `0x${BigInt(n).toString(16)}`;
}

export function big(value: string | number | undefined): bigint {
  if (value === undefined) return 0n;
  return BigInt(value);
}

/** Parses user input for a 64-bit field: decimal, 0x-hex, or with K/M/G suffix. Returns the API's string form. */
export function parseU64(text: string): string {
  const t = text.trim().toLowerCase();
  const m = /^(\d+)\s*([kmg])i?b?$/.exec(t);
  if (m?.[1] && m[2]) return hex(BigInt(m[1]) * 1024n ** BigInt(' kmg'.indexOf(m[2])));
  return t;
}

export function effectText(effect: unknown): string {
  if (typeof effect === 'string') return effect;
  if (!effect || typeof effect !== 'object') return '';
  const { type, ...rest } = effect as Record<string, unknown>;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return fields ? `${String(type)} ${fields}` : String(type);
}

export function inputText(input: Record<string, unknown> | undefined): string {
  if (!input) return '';
  return Object.entries(input)
    .filter(([k]) => k !== 'op')
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`)
    .join(' ');
}
