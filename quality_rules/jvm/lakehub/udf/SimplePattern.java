package lakehub.udf;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The shape of regular expression most data-quality rules use — an optional {@code ^}, a sequence of
 * one-character atoms each with an optional greedy quantifier, an optional {@code $} — decided on an
 * ASCII value without java.util.regex. An atom is an ASCII literal, an escaped punctuation character,
 * {@code .}, {@code \d \w \s} or their complements, or a bracket class of ASCII characters, ranges and
 * those escapes (optionally negated); a quantifier is {@code ? * + {n} {n,} {n,m}}. For such a pattern
 * whether {@code find()} succeeds depends only on which positions each step can reach, so one long holds
 * the reachable positions of a value of up to 62 characters and each step moves them along runs of its
 * characters: no backtracking, no Matcher state, no per-character interface call.
 *
 * <p>{@link #compile} returns null for every other pattern (groups, alternation, lazy or possessive
 * quantifiers, other escapes, flags, non-ASCII characters, ...), and {@link #find} returns {@link
 * #UNDECIDED} for values it does not take (non-ASCII, longer than 62 characters, or, under {@code $}, ending
 * in a line terminator, where Java's {@code $} also matches before it); RegexFind then asks
 * java.util.regex. The semantics are java.util.regex's without flags: {@code .} is anything but
 * {@code \n} and {@code \r} (on ASCII), {@code \d = [0-9]}, {@code \w = [a-zA-Z_0-9]},
 * {@code \s = [ \t\n\x0B\f\r]}; tests compare it with Spark's RLIKE on generated patterns and values.
 */
final class SimplePattern {
  static final int NO_MATCH = 0;
  static final int MATCH = 1;
  static final int UNDECIDED = -1;
  private static final int MAX_VALUE_LENGTH = 62;
  private static final int UNBOUNDED = Integer.MAX_VALUE;

  /** Per step: the allowed characters 0-63 and 64-127 as bit sets, and the repetition bounds. */
  private final long[] low;

  private final long[] high;
  private final int[] min;
  private final int[] max;
  private final boolean anchoredStart;
  private final boolean anchoredEnd;

  /**
   * For a pattern anchored at both ends whose every step repeats a fixed number of times (codes such as
   * {@code ^R[0-9]{10}$}): the allowed characters at each position of a match, so a value is checked in one
   * pass over its bytes. Null for every other pattern.
   */
  private final long[] fixedLow;

  private final long[] fixedHigh;

  private SimplePattern(
      long[] low, long[] high, int[] min, int[] max, boolean anchoredStart, boolean anchoredEnd) {
    this.low = low;
    this.high = high;
    this.min = min;
    this.max = max;
    this.anchoredStart = anchoredStart;
    this.anchoredEnd = anchoredEnd;
    int length = 0;
    boolean fixed = anchoredStart && anchoredEnd;
    for (int step = 0; step < min.length && fixed; step++) {
      fixed = min[step] == max[step] && min[step] <= MAX_VALUE_LENGTH - length;
      length += fixed ? min[step] : 0;
    }
    if (fixed) {
      fixedLow = new long[length];
      fixedHigh = new long[length];
      int position = 0;
      for (int step = 0; step < min.length; step++) {
        for (int repeat = 0; repeat < min[step]; repeat++, position++) {
          fixedLow[position] = low[step];
          fixedHigh[position] = high[step];
        }
      }
    } else {
      fixedLow = null;
      fixedHigh = null;
    }
  }

  /** The pattern as steps, or null when it is not of the simple shape. */
  static SimplePattern compile(String regex) {
    try {
      return new Parser(regex).parse();
    } catch (Unsupported unsupported) {
      return null;
    }
  }

  /** {@link #MATCH} when java.util.regex's find() would succeed, {@link #NO_MATCH}, or {@link #UNDECIDED}. */
  int find(UTF8String value) {
    return find(value.getBaseObject(), value.getBaseOffset(), value.numBytes());
  }

  /** {@link #find(UTF8String)} on UTF-8 bytes where they lie (`length` bytes at `offset` of `base`). */
  int find(Object base, long offset, int length) {
    if (fixedLow != null) {
      return findFixed(base, offset, length);
    }
    if (length > MAX_VALUE_LENGTH) {
      return UNDECIDED;
    }
    if (!ascii(base, offset, length) || (anchoredEnd && endsInLineTerminator(base, offset, length))) {
      return UNDECIDED;
    }
    long reach = anchoredStart ? 1L : (-1L >>> (63 - length)); // positions 0..length
    for (int step = 0; step < min.length && reach != 0; step++) {
      long next = 0;
      long lowSet = low[step];
      long highSet = high[step];
      int least = min[step];
      int most = max[step];
      for (long starts = reach; starts != 0; starts &= starts - 1) {
        int start = Long.numberOfTrailingZeros(starts);
        int limit = Math.min(most, length - start);
        int run = 0;
        while (run < limit && allowed(lowSet, highSet, Platform.getByte(base, offset + start + run))) {
          run++;
        }
        if (run >= least) {
          // positions start+least .. start+run
          next |= (-1L >>> (63 - run + least)) << (start + least);
        }
      }
      reach = next;
    }
    if (anchoredEnd) {
      return (reach >>> length & 1L) != 0 ? MATCH : NO_MATCH;
    }
    return reach != 0 ? MATCH : NO_MATCH;
  }

  /**
   * {@link #find} for a fixed-length pattern: a value of that many ASCII characters matches when each is
   * allowed at its position; an ASCII value of another length cannot match, unless it ends in a line
   * terminator (Java's {@code $} matches before one), which is left to java.util.regex like non-ASCII values.
   */
  private int findFixed(Object base, long offset, int length) {
    if (length != fixedLow.length) {
      return !ascii(base, offset, length) || endsInLineTerminator(base, offset, length) ? UNDECIDED : NO_MATCH;
    }
    int bytes = 0;
    boolean allowed = true;
    for (int i = 0; i < length; i++) {
      byte c = Platform.getByte(base, offset + i);
      bytes |= c;
      allowed &= allowed(fixedLow[i], fixedHigh[i], c);
    }
    return bytes < 0 ? UNDECIDED : allowed ? MATCH : NO_MATCH;
  }

  /** Whether every byte is ASCII (UTF8String.isFullAscii, without caching the answer on an object). */
  private static boolean ascii(Object base, long offset, int length) {
    int bytes = 0;
    for (int i = 0; i < length; i++) {
      bytes |= Platform.getByte(base, offset + i);
    }
    return bytes >= 0;
  }

  /** Whether the value ends in \n or \r, before which Java's {@code $} also matches. */
  private static boolean endsInLineTerminator(Object base, long offset, int length) {
    byte last = length == 0 ? 0 : Platform.getByte(base, offset + length - 1);
    return last == '\n' || last == '\r';
  }

  private static boolean allowed(long lowSet, long highSet, byte c) {
    return c < 64 ? (lowSet >>> c & 1L) != 0 : (highSet >>> (c - 64) & 1L) != 0;
  }

  private static final class Unsupported extends Exception {
    private static final long serialVersionUID = 1L;

    Unsupported() {
      super(null, null, false, false);
    }
  }

  /** A recursive-descent reader of the simple shape; anything else throws Unsupported. */
  private static final class Parser {
    private final String regex;
    private int at;
    private final List<long[]> sets = new ArrayList<>();
    private final List<int[]> bounds = new ArrayList<>();

    Parser(String regex) {
      this.regex = regex;
    }

    SimplePattern parse() throws Unsupported {
      boolean anchoredStart = peek() == '^';
      if (anchoredStart) {
        at++;
      }
      boolean anchoredEnd = false;
      while (at < regex.length()) {
        char c = regex.charAt(at);
        if (c == '$') {
          if (at != regex.length() - 1) {
            throw new Unsupported();
          }
          anchoredEnd = true;
          at++;
          break;
        }
        long[] set = atom();
        int[] bound = quantifier();
        sets.add(set);
        bounds.add(bound);
      }
      int steps = sets.size();
      long[] low = new long[steps];
      long[] high = new long[steps];
      int[] min = new int[steps];
      int[] max = new int[steps];
      for (int i = 0; i < steps; i++) {
        low[i] = sets.get(i)[0];
        high[i] = sets.get(i)[1];
        min[i] = bounds.get(i)[0];
        max[i] = bounds.get(i)[1];
      }
      return new SimplePattern(low, high, min, max, anchoredStart, anchoredEnd);
    }

    private char peek() {
      return at < regex.length() ? regex.charAt(at) : '\0';
    }

    private long[] atom() throws Unsupported {
      char c = regex.charAt(at++);
      switch (c) {
        case '\\':
          return escape();
        case '.':
          return complement(chars("\n\r"));
        case '[':
          return bracket();
        case '(':
        case ')':
        case '|':
        case '{':
        case '}':
        case '*':
        case '+':
        case '?':
        case '^':
        case ']':
          throw new Unsupported();
        default:
          return literal(c);
      }
    }

    /** The escape after a backslash: a class (\d \w \s and complements) or an escaped punctuation mark. */
    private long[] escape() throws Unsupported {
      if (at >= regex.length()) {
        throw new Unsupported();
      }
      char c = regex.charAt(at++);
      switch (c) {
        case 'd':
          return range('0', '9');
        case 'D':
          return complement(range('0', '9'));
        case 'w':
          return word();
        case 'W':
          return complement(word());
        case 's':
          return chars(" \t\n\u000B\f\r");
        case 'S':
          return complement(chars(" \t\n\u000B\f\r"));
        default:
          if (c < 128 && c > ' ' && !Character.isLetterOrDigit(c)) {
            return literal(c);
          }
          throw new Unsupported(); // \b, \n, \p{..}, \Q, back-references, ...
      }
    }

    private long[] bracket() throws Unsupported {
      boolean negated = peek() == '^';
      if (negated) {
        at++;
      }
      if (peek() == ']') {
        throw new Unsupported(); // Java's reading of a leading ']' is not worth copying
      }
      long[] set = {0L, 0L};
      while (true) {
        if (at >= regex.length()) {
          throw new Unsupported();
        }
        char c = regex.charAt(at++);
        if (c == ']') {
          break;
        }
        if (c == '[' || (c == '&' && peek() == '&')) {
          throw new Unsupported(); // union and intersection
        }
        char first;
        if (c == '\\') {
          char escaped = peek();
          long[] item = escape();
          if (Character.isLetterOrDigit(escaped)) { // \d \w \s or a complement: a class, not a range end
            if (rangeFollows()) {
              throw new Unsupported();
            }
            or(set, item);
            continue;
          }
          first = escaped;
        } else {
          first = checked(c);
        }
        if (rangeFollows()) {
          at++;
          char last = regex.charAt(at++);
          if (last == '\\') {
            if (at >= regex.length()) {
              throw new Unsupported();
            }
            last = regex.charAt(at++);
            if (Character.isLetterOrDigit(last)) {
              throw new Unsupported();
            }
          } else if (last == '[') {
            throw new Unsupported();
          }
          if (checked(last) < first) {
            throw new Unsupported();
          }
          or(set, range(first, last));
        } else {
          or(set, literal(first));
        }
      }
      return negated ? complement(set) : set;
    }

    /** Whether a '-' next in a bracket class makes a range (a '-' before the closing ']' is literal). */
    private boolean rangeFollows() {
      return peek() == '-' && at + 1 < regex.length() && regex.charAt(at + 1) != ']';
    }

    /** {n}, {n,}, {n,m}, ?, *, + or none; a lazy or possessive suffix is not taken. */
    private int[] quantifier() throws Unsupported {
      int[] bound;
      char c = peek();
      if (c == '?') {
        bound = new int[] {0, 1};
        at++;
      } else if (c == '*') {
        bound = new int[] {0, UNBOUNDED};
        at++;
      } else if (c == '+') {
        bound = new int[] {1, UNBOUNDED};
        at++;
      } else if (c == '{') {
        at++;
        int least = number();
        int most = least;
        if (peek() == ',') {
          at++;
          most = peek() == '}' ? UNBOUNDED : number();
        }
        if (peek() != '}' || most < least) {
          throw new Unsupported();
        }
        at++;
        bound = new int[] {least, most};
      } else {
        return new int[] {1, 1};
      }
      char after = peek();
      if (after == '?' || after == '+' || after == '*' || after == '{') {
        throw new Unsupported();
      }
      return bound;
    }

    private int number() throws Unsupported {
      int start = at;
      while (at < regex.length() && regex.charAt(at) >= '0' && regex.charAt(at) <= '9') {
        at++;
      }
      if (at == start || at - start > 4) {
        throw new Unsupported();
      }
      return Integer.parseInt(regex.substring(start, at));
    }

    private static char checked(char c) throws Unsupported {
      if (c < ' ' || c >= 127) {
        throw new Unsupported(); // control or non-ASCII characters in the pattern
      }
      return c;
    }

    private static long[] literal(char c) throws Unsupported {
      return range(checked(c), c);
    }

    private static long[] range(char first, char last) {
      long[] set = {0L, 0L};
      for (char c = first; c <= last; c++) {
        set[c >> 6] |= 1L << (c & 63);
      }
      return set;
    }

    private static long[] chars(String members) {
      long[] set = {0L, 0L};
      for (int i = 0; i < members.length(); i++) {
        char c = members.charAt(i);
        set[c >> 6] |= 1L << (c & 63);
      }
      return set;
    }

    private static long[] word() {
      long[] set = range('a', 'z');
      or(set, range('A', 'Z'));
      or(set, range('0', '9'));
      or(set, chars("_"));
      return set;
    }

    private static long[] complement(long[] set) {
      return new long[] {~set[0], ~set[1]};
    }

    private static void or(long[] into, long[] set) {
      into[0] |= set[0];
      into[1] |= set[1];
    }
  }
}
