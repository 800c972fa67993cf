package lakehub.udf;

import org.apache.spark.unsafe.types.UTF8String;

/**
 * GB 32100 unified social credit code: 18 characters of the code charset (digits and upper-case letters
 * without I, O, S, V, Z), the GB 11714 organisation-code check character (17th) and the credit check
 * character (18th) right. Null is false. The pure-Python twin is lakehub.quality_rules.cn_codes.is_valid_uscc.
 */
/* Input: Spark's own UTF-8 string (no conversion); valid codes are ASCII, so a non-ASCII byte fails. */
public final class CnUsccValid {
  /** GB 32100 code characters (no I, O, S, V, Z). */
  static final String CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  private static final int[] CREDIT_WEIGHTS = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  private static final int[] ORG_WEIGHTS = {3, 7, 9, 10, 5, 8, 4, 2};
  private static final int[] VALUES = new int[128];

  static {
    java.util.Arrays.fill(VALUES, -1);
    for (int i = 0; i < CHARSET.length(); i++) {
      VALUES[CHARSET.charAt(i)] = i;
    }
  }

  /** GB 11714 value of a charset character: digits 0-9, letters A=10 .. Z=35 (base 36). */
  private static int orgValue(char c) {
    return c <= '9' ? c - '0' : c - 'A' + 10;
  }

  private CnUsccValid() {}

  /** The check on one value, read in place from Spark's UTF-8 bytes (null: false). */
  public static boolean of(UTF8String value) {
    if (value == null || value.numBytes() != 18) {
      return false;
    }
    int credit = 0;
    int org = 0;
    for (int i = 0; i < 18; i++) {
      char c = at(value, i);
      if (c >= 128 || VALUES[c] < 0) {
        return false;
      }
      if (i < 17) {
        credit += VALUES[c] * CREDIT_WEIGHTS[i];
      }
      if (i >= 8 && i < 16) {
        org += orgValue(c) * ORG_WEIGHTS[i - 8];
      }
    }
    int orgCheck = 11 - org % 11;
    int expected17 = orgCheck == 10 ? 'X' - 'A' + 10 : orgCheck == 11 ? 0 : orgCheck;
    return orgValue(at(value, 16)) == expected17 && (31 - credit % 31) % 31 == VALUES[at(value, 17)];
  }

  /** The byte at `index` as an unsigned value (UTF-8 lead and continuation bytes are >= 128). */
  private static char at(UTF8String value, int index) {
    return (char) (value.getByte(index) & 0xFF);
  }
}
