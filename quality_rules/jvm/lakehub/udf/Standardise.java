package lakehub.udf;

import java.time.LocalDate;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Landing's standardisation of delivered text (pipelines/standardise.py), as static methods over Spark's
 * UTF8String registered as native SQL functions (see {@link NativeFunctions#registerStandardisation}).
 *
 * <p>Written as Spark SQL, standardising one row of a source took dozens of regexes, seven parse attempts
 * per date column and seventeen substring casts per legacy ID. All of it landed in one generated method of
 * the landing's projection, so large (18 KB of bytecode for the population source) that the JIT compilers
 * sometimes gave up on it and the pass ran interpreted, 3-4x slower, for the rest of the JVM's life. Each
 * function here is one call in the generated code. Null never reaches them (null in, null out); a value
 * that cannot be read gives null, which standardise.py reports as TYPE_INVALID.
 */
public final class Standardise {
  private Standardise() {}

  private static final long EXCEL_EPOCH_DAY = LocalDate.of(1899, 12, 30).toEpochDay();
  private static final int EARLIEST_YEAR = 1900;
  private static final int LATEST_YEAR = 2100;
  private static final long MICROS_PER_SECOND = 1_000_000L;
  private static final long SECONDS_PER_DAY = 86_400L;

  /** Decimal microseconds since the epoch; {@code anchor} is ignored (see NativeFunctions#registerInstant). */
  public static long instant(UTF8String micros, long anchor) {
    return micros.toLongExact();
  }

  // ---------------------------------------------------------------------------------------------- text

  /**
   * Full-width characters to half-width, then spaces trimmed from both ends (like Spark's trim: ASCII
   * space only). With {@code alnumOnly} (free text) only full-width digits, Latin letters and the
   * ideographic space are narrowed, so Chinese punctuation such as ，and （ stays as written.
   */
  public static UTF8String text(UTF8String raw, boolean alnumOnly) {
    if (!hasWideForms(raw)) {
      return raw.trim();
    }
    char[] chars = raw.toString().toCharArray();
    boolean changed = false;
    for (int i = 0; i < chars.length; i++) {
      char c = chars[i];
      if (c == '\u3000') {
        chars[i] = ' ';
        changed = true;
      } else if (c >= '\uFF01' && c <= '\uFF5E') {
        char narrow = (char) (c - 0xFEE0);
        if (!alnumOnly || isAsciiAlnum(narrow)) {
          chars[i] = narrow;
          changed = true;
        }
      }
    }
    UTF8String widened = changed ? UTF8String.fromString(new String(chars)) : raw;
    return widened.trim();
  }

  /**
   * Whether the text may hold a full-width form (U+FF01..U+FF5E, in UTF-8 EF BC xx or EF BD xx) or the
   * ideographic space (E3 80 80), read from its bytes: most Chinese text holds neither and is only trimmed,
   * without decoding it to a Java String and back.
   */
  private static boolean hasWideForms(UTF8String raw) {
    Object base = raw.getBaseObject();
    long offset = raw.getBaseOffset();
    int last = raw.numBytes() - 2;
    for (int i = 0; i < last; i++) {
      byte b = Platform.getByte(base, offset + i);
      if (b == (byte) 0xef) {
        byte next = Platform.getByte(base, offset + i + 1);
        if (next == (byte) 0xbc || next == (byte) 0xbd) {
          return true;
        }
      } else if (b == (byte) 0xe3
          && Platform.getByte(base, offset + i + 1) == (byte) 0x80
          && Platform.getByte(base, offset + i + 2) == (byte) 0x80) {
        return true;
      }
    }
    return false;
  }

  private static boolean isAsciiAlnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }

  // ------------------------------------------------------------------------------------- dates, times

  /**
   * A calendar date between 1900 and 2100 as days since 1970-01-01, or null. Accepted forms: 2023-01-05,
   * 2023-1-5, 2023/1/5, 2023.1.5, 2023年1月5日, 20230105, an Excel serial day (44931 or 44931.0), and any of
   * these followed by a space (or T) and a time of day, which is dropped.
   */
  public static Integer date(UTF8String text) {
    Parsed parsed = parse(text, false);
    return parsed == null ? null : (int) parsed.epochDay;
  }

  /**
   * A local wall-clock timestamp (timestamp_ntz micros) between 1900 and 2100, or null: any date form
   * {@link #date} accepts, a bare date meaning midnight, then optionally a space (or T) and H:mm, H:mm:ss or
   * H:mm:ss.fraction; 20240301081500; an Excel serial with a fraction of a day (45352.34375).
   */
  public static Long timestamp(UTF8String text) {
    Parsed parsed = parse(text, true);
    return parsed == null
        ? null
        : (parsed.epochDay * SECONDS_PER_DAY + parsed.secondOfDay) * MICROS_PER_SECOND + parsed.micros;
  }

  private static final class Parsed {
    long epochDay;
    long secondOfDay;
    long micros;
  }

  private static Parsed parse(UTF8String text, boolean withTime) {
    CharSequence s = text.isFullAscii() ? new AsciiChars(text) : text.toString();
    int n = s.length();
    Parsed out = new Parsed();
    if (n >= 5 && digits(s, 0, 5) && (n == 5 || s.charAt(5) == '.')) {
      return serial(s, n, withTime, out);
    }
    if ((n == 8 || (withTime && n == 14)) && digits(s, 0, n)) {
      if (!day(out, num(s, 0, 4), num(s, 4, 2), num(s, 6, 2))) {
        return null;
      }
      return n == 8 || time(out, num(s, 8, 2), num(s, 10, 2), num(s, 12, 2)) ? out : null;
    }
    if (n < 8 || !digits(s, 0, 4)) {
      return null;
    }
    char first = s.charAt(4);
    char second;
    if (first == '年') {
      second = '月';
    } else if (first == '-' || first == '/' || first == '.') {
      second = first;
    } else {
      return null;
    }
    int at = 5;
    int monthDigits = run(s, at, n);
    if (monthDigits < 1 || monthDigits > 2 || at + monthDigits >= n || s.charAt(at + monthDigits) != second) {
      return null;
    }
    int month = num(s, at, monthDigits);
    at += monthDigits + 1;
    int dayDigits = run(s, at, n);
    if (dayDigits < 1 || dayDigits > 2) {
      return null;
    }
    int dayOfMonth = num(s, at, dayDigits);
    at += dayDigits;
    if (first == '年') {
      if (at >= n || s.charAt(at) != '日') {
        return null;
      }
      at++;
    }
    if (!day(out, num(s, 0, 4), month, dayOfMonth)) {
      return null;
    }
    if (at == n) {
      return out;
    }
    char gap = s.charAt(at);
    if (gap != ' ' && gap != 'T') {
      return null;
    }
    return clock(s, at + 1, n, out) ? out : null;
  }

  /** H:mm, H:mm:ss or H:mm:ss.fraction (1-9 digits, kept to the microsecond) from `at` to the end. */
  private static boolean clock(CharSequence s, int at, int n, Parsed out) {
    int hourDigits = run(s, at, n);
    if (hourDigits < 1 || hourDigits > 2) {
      return false;
    }
    int hour = num(s, at, hourDigits);
    at += hourDigits;
    if (at + 3 > n || s.charAt(at) != ':' || run(s, at + 1, n) != 2) {
      return false;
    }
    int minute = num(s, at + 1, 2);
    at += 3;
    int second = 0;
    if (at < n) {
      if (at + 3 > n || s.charAt(at) != ':' || run(s, at + 1, n) != 2) {
        return false;
      }
      second = num(s, at + 1, 2);
      at += 3;
      if (at < n) {
        int fraction = s.charAt(at) == '.' ? run(s, at + 1, n) : 0;
        if (fraction < 1 || fraction > 9 || at + 1 + fraction != n) {
          return false;
        }
        long micros = num(s, at + 1, Math.min(fraction, 6));
        for (int i = fraction; i < 6; i++) {
          micros *= 10;
        }
        out.micros = micros;
        at = n;
      }
    }
    return time(out, hour, minute, second);
  }

  /** An Excel serial day: five digits, then for a date only zeros after the point, for a time any digits. */
  private static Parsed serial(CharSequence s, int n, boolean withTime, Parsed out) {
    if (n > 5) {
      int fraction = run(s, 6, n);
      if (fraction < 1 || 6 + fraction != n) {
        return null;
      }
      for (int i = 6; !withTime && i < n; i++) {
        if (s.charAt(i) != '0') {
          return null;
        }
      }
    }
    long days = num(s, 0, 5);
    long seconds = 0;
    if (withTime && n > 5) {
      seconds = Math.round(Double.parseDouble(s.toString()) * SECONDS_PER_DAY) - days * SECONDS_PER_DAY;
    }
    long epochDay = EXCEL_EPOCH_DAY + days + Math.floorDiv(seconds, SECONDS_PER_DAY);
    int year = LocalDate.ofEpochDay(epochDay).getYear();
    if (year < EARLIEST_YEAR || year > LATEST_YEAR) {
      return null;
    }
    out.epochDay = epochDay;
    out.secondOfDay = Math.floorMod(seconds, SECONDS_PER_DAY);
    return out;
  }

  private static boolean day(Parsed out, int year, int month, int dayOfMonth) {
    if (year < EARLIEST_YEAR
        || year > LATEST_YEAR
        || !CnResidentIdFacts.realDate(year, month, dayOfMonth)) {
      return false;
    }
    out.epochDay = CnResidentIdFacts.epochDay(year, month, dayOfMonth);
    return true;
  }

  private static boolean time(Parsed out, int hour, int minute, int second) {
    if (hour > 23 || minute > 59 || second > 59) {
      return false;
    }
    out.secondOfDay = hour * 3600L + minute * 60L + second;
    return true;
  }

  // ---------------------------------------------------------------------------------- national codes

  /**
   * A resident ID in its standard 18-character form, or null: an upper-case X check character; a legacy
   * 15-digit ID upgraded (19 inserted before the birth year, GB 11643 check character appended). Only the
   * form is checked here (17 digits then a digit or X); check digits and birth dates are quality rules.
   */
  public static UTF8String residentId(UTF8String text) {
    int n = text.numBytes();
    AsciiChars chars = new AsciiChars(text);
    if (n == 15 && digits(chars, 0, 15)) {
      byte[] id = new byte[18];
      int sum = 0;
      for (int i = 0; i < 17; i++) {
        byte digit = i < 6 ? text.getByte(i) : i < 8 ? (byte) "19".charAt(i - 6) : text.getByte(i - 2);
        id[i] = digit;
        sum += (digit - '0') * CnResidentIdFacts.WEIGHTS[i];
      }
      id[17] = (byte) CnResidentIdFacts.checkChar(sum);
      return UTF8String.fromBytes(id);
    }
    if (n != 18 || !digits(chars, 0, 17)) {
      return null;
    }
    byte last = text.getByte(17);
    if (last == 'x') {
      return text.toUpperCase();
    }
    return (last >= '0' && last <= '9') || last == 'X' ? text : null;
  }

  /**
   * A mainland mobile number as 11 digits, or null: spaces, dashes and brackets removed and a +86 or 86
   * country code dropped (an 11-character value is taken as written).
   */
  public static UTF8String mobile(UTF8String text) {
    if (text.numChars() == 11) {
      return CnMobileValid.of(text) ? text : null;
    }
    if (!text.isFullAscii()) {
      return null;
    }
    byte[] kept = new byte[text.numBytes()];
    int size = 0;
    for (int i = 0; i < kept.length; i++) {
      byte b = text.getByte(i);
      if (b != ' ' && b != '\t' && b != '\n' && b != 0x0B && b != '\f' && b != '\r' && b != '-'
          && b != '(' && b != ')') {
        kept[size++] = b;
      }
    }
    int start = 0;
    if (size == 14 && kept[0] == '+' && kept[1] == '8' && kept[2] == '6') {
      start = 3;
    } else if (size == 13 && kept[0] == '8' && kept[1] == '6') {
      start = 2;
    }
    UTF8String candidate = UTF8String.fromBytes(kept, start, size - start);
    return CnMobileValid.of(candidate) ? candidate : null;
  }

  /**
   * A unified social credit code upper-cased, or null unless it has GB 32100's form: 18 characters of its
   * charset (no I, O, S, V, Z) with digits in positions 3-8 (the admin code). The check character is a
   * quality rule.
   */
  public static UTF8String uscc(UTF8String text) {
    if (text.numBytes() != 18 || !text.isFullAscii()) {
      return null;
    }
    UTF8String upper = text.toUpperCase();
    for (int i = 0; i < 18; i++) {
      char c = (char) upper.getByte(i);
      boolean ok = i >= 2 && i < 8 ? c >= '0' && c <= '9' : CnUsccValid.CHARSET.indexOf(c) >= 0;
      if (!ok) {
        return null;
      }
    }
    return upper;
  }

  // ------------------------------------------------------------------------------------------ helpers

  /** Whether the `count` characters from `from` are all ASCII digits. */
  private static boolean digits(CharSequence s, int from, int count) {
    return run(s, from, from + count) == count;
  }

  /** How many ASCII digits follow from `at` (before `end`). */
  private static int run(CharSequence s, int at, int end) {
    int i = at;
    while (i < end && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
      i++;
    }
    return i - at;
  }

  private static int num(CharSequence s, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      value = value * 10 + (s.charAt(i) - '0');
    }
    return value;
  }
}
