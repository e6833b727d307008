/**
 * What makes a password acceptable for a Commonwatt sign-in, following NIST SP 800-63B
 * 5.1.1.2: a minimum length, no composition rules ("one digit, one symbol"), and a
 * check against passwords that are known or easy to guess. The hub may have no
 * internet, so instead of a breached-password service it refuses the shapes the top
 * of every leaked-password list is made of: a common word or the person's own name,
 * leetspeak included, or a keyboard or counting sequence, with a few characters
 * added ("password1234", "P@ssw0rd2024", "qwerty123456", "Summer2024!!", "anna1234anna").
 * It is a floor, not a strength meter.
 *
 * Errors never repeat the password: they may reach a terminal log.
 */

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

const FIX = 'choose three or four unrelated words (spaces are fine), or let a password manager make one';

// Bases of the most common leaked passwords, plus words anyone would try against a
// community energy hub.
const COMMON_WORDS = [
  'password', 'passwort', 'passw', 'pass', 'qwerty', 'qwertz', 'azerty', 'letmein', 'welcome', 'admin', 'administrator',
  'root', 'login', 'iloveyou', 'love', 'monkey', 'dragon', 'sunshine', 'princess', 'football', 'soccer', 'baseball',
  'master', 'shadow', 'superman', 'batman', 'trustno', 'whatever', 'starwars', 'secret', 'hello', 'freedom',
  'changeme', 'default', 'guest', 'user', 'test', 'michael', 'jessica', 'charlie', 'jordan', 'hunter', 'ranger',
  'buster', 'summer', 'winter', 'spring', 'autumn', 'flower', 'cookie', 'pokemon', 'computer', 'internet', 'samsung',
  'google', 'apple', 'access', 'mypass', 'january', 'february', 'march', 'april', 'june', 'july', 'august',
  'september', 'october', 'november', 'december', 'energy', 'solar', 'power', 'meter', 'community', 'commonwatt',
  'neighbour', 'neighbor', 'neighbourhood', 'neighborhood', 'volunteer', 'group', 'raspberry',
];

// Runs people type instead of choosing: rows of common keyboard layouts, their columns,
// the alphabet and counting. Checked forwards and backwards.
const SEQUENCES = [
  'abcdefghijklmnopqrstuvwxyz',
  '01234567890',
  'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'qwertzuiop', 'yxcvbnm', 'azertyuiop', 'qsdfghjklm', 'wxcvbn',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p', 'zaq1xsw2cde3vfr4bgt5nhy6mju7ki8lo9p0',
  '1q2w3e4r5t6y7u8i9o0p', 'q1w2e3r4t5y6u7i8o9p0', '!@#$%^&*()',
].flatMap((s) => [s, [...s].reverse().join('')]);

// Characters people substitute for letters ("p@ssw0rd").
const LOOKALIKES: Record<string, string> = { '0': 'o', '1': 'il', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', $: 's', '!': 'il', '+': 't' };

/**
 * Why `password` is not acceptable, as a message naming the field and the fix, or
 * null when it is. `username` and `displayName` are refused as parts of it.
 */
export function passwordProblem(password: string, context: { username?: string; displayName?: string | null } = {}): string | null {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_LENGTH) {
    return `--password: must be at least ${MIN_PASSWORD_LENGTH} characters (got ${chars.length}); ${FIX}.`;
  }
  if (chars.length > MAX_PASSWORD_LENGTH) {
    return `--password: must be at most ${MAX_PASSWORD_LENGTH} characters (got ${chars.length}); use a shorter one.`;
  }
  if (/\p{Cc}/u.test(password)) {
    return '--password: must not contain control characters such as tabs or line breaks; type it again without them.';
  }
  const lower = chars.map((c) => c.toLowerCase());
  const distinct = new Set(lower).size;
  if (distinct < 5) {
    return `--password: uses only ${distinct} different character${distinct === 1 ? '' : 's'}, which is easy to guess; ${FIX}.`;
  }
  if (repeatsItself(lower)) {
    return `--password: is the same few characters repeated, which is easy to guess; ${FIX}.`;
  }
  const personal = [context.username, context.displayName]
    .flatMap((s) => (s ?? '').toLowerCase().split(/[^\p{L}\p{N}]+/u))
    .filter((w) => w.length >= 3);
  if (guessableParts(lower, [...COMMON_WORDS, ...personal]) <= 4) {
    return `--password: is too easy to guess: it is built from a common password, a name or a keyboard or number sequence with a few characters added; ${FIX}.`;
  }
  return null;
}

function repeatsItself(chars: string[]): boolean {
  for (let period = 1; period <= chars.length / 2; period++) {
    if (chars.length % period === 0 && chars.every((c, i) => c === chars[i % period])) return true;
  }
  return false;
}

/**
 * The fewest pieces `chars` splits into, where a piece is one character, a known word
 * (lookalikes allowed), a run of 3+ from a sequence, a run of one repeated character,
 * or up to 4 digits (a year, a PIN). A lone punctuation mark or space counts half, being
 * what people put between words ("anna-anna-1234"). A random 12-character password
 * needs about 12 pieces; "password1234" needs 2.
 */
function guessableParts(chars: string[], words: string[]): number {
  const n = chars.length;
  const best = new Array<number>(n + 1).fill(Infinity);
  best[0] = 0;
  for (let i = 0; i < n; i++) {
    const here = best[i]!;
    if (here === Infinity) continue;
    const reach = (end: number, cost = 1) => {
      if (here + cost < best[end]!) best[end] = here + cost;
    };
    reach(i + 1, /[\p{L}\p{N}]/u.test(chars[i]!) ? 1 : 0.5);
    for (const word of words) if (i + word.length <= n && matchesWord(chars, i, word)) reach(i + word.length);
    for (let end = i + 3; end <= n; end++) {
      const run = chars.slice(i, end).join('');
      if (!SEQUENCES.some((s) => s.includes(run))) break;
      reach(end);
    }
    for (let end = i + 2; end <= n && chars[end - 1] === chars[i]; end++) reach(end);
    for (let end = i + 1; end <= Math.min(n, i + 4) && /\d/.test(chars[end - 1]!); end++) reach(end);
  }
  return best[n]!;
}

function matchesWord(chars: string[], at: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    const c = chars[at + k]!;
    const w = word[k]!;
    if (c !== w && !(LOOKALIKES[c]?.includes(w) ?? false)) return false;
  }
  return true;
}
