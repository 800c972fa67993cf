package lakehub.udf;

import org.apache.spark.unsafe.Platform;
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
  /** Byte (0-255) → charset index, -1 outside the charset (every byte of a multi-byte character too). */
  private static final int[] VALUES = new int[256];
  /** Byte → GB 11714 value (digits 0-9, letters A=10 .. Z=35) for charset characters. */
  private static final int[] ORG_VALUES = new int[256];

  static {
    java.util.Arrays.fill(VALUES, -1);
    for (int i = 0; i < CHARSET.length(); i++) {
      char c = CHARSET.charAt(i);
      VALUES[c] = i;
      ORG_VALUES[c] = c <= '9' ? c - '0' : c - 'A' + 10;
    }
  }

  private CnUsccValid() {}

  /**
   * The check on one value, read in place from Spark's UTF-8 bytes (null: false). Straight loops over table
   * lookups (no per-character branches but the charset test): it runs once per row of every USCC rule.
   */
  public static boolean of(UTF8String value) {
    return value != null && of(value.getBaseObject(), value.getBaseOffset(), value.numBytes());
  }

  /** {@link #of(UTF8String)} on UTF-8 bytes where they lie (see CnResidentIdFacts). */
  public static boolean of(Object base, long offset, int length) {
    if (length != 18) {
      return false;
    }
    int credit = 0;
    int invalid = 0;
    for (int i = 0; i < 17; i++) {
      int v = VALUES[at(base, offset, i)];
      invalid |= v;
      credit += v * CREDIT_WEIGHTS[i];
    }
    int last = VALUES[at(base, offset, 17)];
    if ((invalid | last) < 0) {
      return false;
    }
    int org = 0;
    for (int i = 0; i < 8; i++) {
      org += ORG_VALUES[at(base, offset, 8 + i)] * ORG_WEIGHTS[i];
    }
    int orgCheck = 11 - org % 11;
    int expected17 = orgCheck == 10 ? 'X' - 'A' + 10 : orgCheck == 11 ? 0 : orgCheck;
    return ORG_VALUES[at(base, offset, 16)] == expected17 && (31 - credit % 31) % 31 == last;
  }

  /** The byte at `index` as an unsigned value (UTF-8 lead and continuation bytes are >= 128). */
  private static int at(Object base, long offset, int index) {
    return Platform.getByte(base, offset + index) & 0xFF;
  }
}
