import { LOG_TEXT_MAX_CHARS, logText } from './logText';

describe('logText (the CLI visible rule)', () => {
  it('keeps ordinary text as it is, whatever the script', () => {
    for (const s of ['Payments Gateway', 'APM0001234', 'Zahlungs-Gateway (Ä/ß)', '支払いゲートウェイ', 'a\u00a0b', 'emoji 😀', ''])
      expect(logText(s)).toBe(s);
  });

  it('writes line breaks and tabs as \\n, \\r, \\t', () => {
    expect(logText('Evil\n::error file=x::pwned')).toBe('Evil\\n::error file=x::pwned');
    expect(logText('a\r\nb\tc')).toBe('a\\r\\nb\\tc');
  });

  it('writes every other control character (C0, DEL, C1 including ESC and CSI) as \\u{..} in lower-case hex', () => {
    expect(logText('\u001b[31mred\u001b[0m')).toBe('\\u{1b}[31mred\\u{1b}[0m');
    expect(logText('\u0000\u0007\u007f')).toBe('\\u{0}\\u{7}\\u{7f}');
    expect(logText('\u0085\u009b31m\u009f')).toBe('\\u{85}\\u{9b}31m\\u{9f}');
  });

  it('writes bidirectional, format, separator, private-use, unassigned and lone surrogate characters as \\u{..}', () => {
    expect(logText('abc\u202etxt.exe')).toBe('abc\\u{202e}txt.exe');
    expect(logText('\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069')).toBe(
      '\\u{200e}\\u{200f}\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{2066}\\u{2067}\\u{2068}\\u{2069}',
    );
    expect(logText('A\u200b\uFEFF\u2060B')).toBe('A\\u{200b}\\u{feff}\\u{2060}B');
    expect(logText('x\u2028y\u2029z')).toBe('x\\u{2028}y\\u{2029}z');
    expect(logText('\ue000\u{f0000}')).toBe('\\u{e000}\\u{f0000}');
    expect(logText('\u0378')).toBe('\\u{378}');
    expect(logText('a\ud800b')).toBe('a\\u{d800}b');
  });

  it('agrees with the CLI test vector (visible("A\\u{200b}\\n"))', () => {
    expect(logText('A\u200b\n')).toBe('A\\u{200b}\\n');
  });

  it('cuts long text by characters before escaping, and marks the cut', () => {
    expect(logText('x'.repeat(LOG_TEXT_MAX_CHARS))).toBe('x'.repeat(LOG_TEXT_MAX_CHARS));
    expect(logText('x'.repeat(1_000_000))).toBe(`${'x'.repeat(LOG_TEXT_MAX_CHARS)}…`);
    expect(logText('😀'.repeat(10), 3)).toBe('😀😀😀…');
    expect(logText('\n'.repeat(10), 2)).toBe('\\n\\n…');
    const worst = logText('\u{10ffff}'.repeat(100_000));
    expect(worst.length).toBeLessThanOrEqual(LOG_TEXT_MAX_CHARS * '\\u{10ffff}'.length + 1);
    expect(worst).not.toContain('\u{10ffff}');
  });
});
