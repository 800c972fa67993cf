package lakehub.udf;

import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * GB/T 2260 form of an area code: its length when it is ASCII digits starting with a province-level code
 * (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82), else 0; null stays null. Spark checks the allowed
 * lengths, prefixes and value sets around it. The pure-Python twin is
 * lakehub.quality_rules.cn_codes.is_valid_admin_code (ADMIN_CODE_PROVINCES).
 */
/* Input: Spark's own UTF-8 string (no conversion); valid codes are ASCII, so a non-ASCII byte fails. */
public final class CnAdminCodeLength {
  private static final boolean[] PROVINCES = new boolean[100];

  static {
    int[] codes = {
      11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
      61, 62, 63, 64, 65, 71, 81, 82
    };
    for (int code : codes) {
      PROVINCES[code] = true;
    }
  }

  private CnAdminCodeLength() {}

  /** The check on one value, read in place from Spark's UTF-8 bytes (null: 0). */
  public static int of(UTF8String value) {
    return value == null ? 0 : of(value.getBaseObject(), value.getBaseOffset(), value.numBytes());
  }

  /** {@link #of(UTF8String)} on UTF-8 bytes where they lie (see CnResidentIdFacts). */
  public static int of(Object base, long offset, int length) {
    if (length < 2) {
      return 0;
    }
    for (int i = 0; i < length; i++) {
      char c = at(base, offset, i);
      if (c < '0' || c > '9') {
        return 0;
      }
    }
    return PROVINCES[(at(base, offset, 0) - '0') * 10 + at(base, offset, 1) - '0'] ? length : 0;
  }

  /** The byte at `index` as an unsigned value (UTF-8 lead and continuation bytes are >= 128). */
  private static char at(Object base, long offset, int index) {
    return (char) (Platform.getByte(base, offset + index) & 0xFF);
  }
}
