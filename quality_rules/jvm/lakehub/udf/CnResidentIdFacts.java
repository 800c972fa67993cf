package lakehub.udf;

import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * GB 11643 facts of a resident ID in one call, so a suite reads them once per row.
 *
 * <p>Returns MALFORMED (-1) unless the value is 17 ASCII digits followed by a digit or an upper-case X (well formed).
 * Otherwise {@code day * 100 + (checkOk ? 10 : 0) + (odd ? 1 : 0)}, where day is the encoded birth date as
 * days since 1970-01-01 plus DAY_OFFSET when it is a real calendar date (0 when it is not; the offset keeps
 * every year 0000-9999 positive), so Spark compares it with a DATE's unix_date; checkOk tells whether the 18th
 * character is the check character of the first 17 digits (weights 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2,
 * map 10X98765432) and odd whether the 17th digit (sex) is odd. The pure-Python twin is
 * lakehub.quality_rules.cn_codes; the tests hold both equal.
 */
/* Input: Spark's own UTF-8 string (no conversion); valid codes are ASCII, so a non-ASCII byte fails. */
public final class CnResidentIdFacts {
  /** What a null or malformed value gives (every well-formed result is positive). */
  public static final long MALFORMED = -1L;

  /** Added to the epoch day so that every encoded day is positive. */
  public static final long DAY_OFFSET = 1_000_000L;

  /** GB 11643 weights of the 17 body digits. */
  static final int[] WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};

  /** The check character for a weighted sum of the body: "10X98765432" indexed by sum mod 11. */
  static char checkChar(int weightedSum) {
    return "10X98765432".charAt(weightedSum % 11);
  }

  private CnResidentIdFacts() {}

  /**
   * The facts of one value, read in place from Spark's UTF-8 bytes: one branch-free loop validates and
   * weighs the 17 body digits (it runs once per row of every resident-ID rule), then the date and sex
   * digits are read again where they are.
   */
  public static long of(UTF8String value) {
    return value == null ? MALFORMED : of(value.getBaseObject(), value.getBaseOffset(), value.numBytes());
  }

  /** {@link #of(UTF8String)} on UTF-8 bytes where they lie (`length` bytes at `offset` of `base`, as Platform
   * reads them): the columnar pass reads cached strings without making a UTF8String of each. */
  public static long of(Object base, long offset, int length) {
    if (length != 18) {
      return MALFORMED;
    }
    int sum = 0;
    int bad = 0;
    for (int i = 0; i < 17; i++) {
      int digit = digit(base, offset, i);
      bad |= digit | (9 - digit); // negative unless 0..9
      sum += digit * WEIGHTS[i];
    }
    if (bad < 0) {
      return MALFORMED;
    }
    int last = digit(base, offset, 17);
    int check;
    if (last >= 0 && last <= 9) {
      check = last;
    } else if (last == 'X' - '0') {
      check = 10;
    } else {
      return MALFORMED;
    }
    boolean checkOk = check == (12 - sum % 11) % 11;
    int year =
        digit(base, offset, 6) * 1000
            + digit(base, offset, 7) * 100
            + digit(base, offset, 8) * 10
            + digit(base, offset, 9);
    int month = digit(base, offset, 10) * 10 + digit(base, offset, 11);
    int day = digit(base, offset, 12) * 10 + digit(base, offset, 13);
    long epoch = realDate(year, month, day) ? epochDay(year, month, day) + DAY_OFFSET : 0;
    return epoch * 100L + (checkOk ? 10 : 0) + (digit(base, offset, 16) & 1);
  }

  private static boolean leap(int year) {
    return (year & 3) == 0 && (year % 100 != 0 || year % 400 == 0);
  }

  /** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil; no allocation). */
  static long epochDay(int year, int month, int day) {
    int y = month <= 2 ? year - 1 : year;
    int era = Math.floorDiv(y, 400);
    int yoe = y - era * 400;
    int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097L + doe - 719468L;
  }

  static boolean realDate(int year, int month, int day) {
    if (month < 1 || month > 12 || day < 1) {
      return false;
    }
    if (day <= 28) {
      return true;
    }
    int days;
    if (month == 2) {
      days = leap(year) ? 29 : 28;
    } else if (month == 4 || month == 6 || month == 9 || month == 11) {
      days = 30;
    } else {
      days = 31;
    }
    return day <= days;
  }

  /** The byte at `index` as an unsigned value minus '0': 0..9 for a digit (a UTF-8 multi-byte character's bytes
   * give 80 and more). */
  private static int digit(Object base, long offset, int index) {
    return (Platform.getByte(base, offset + index) & 0xFF) - '0';
  }
}
