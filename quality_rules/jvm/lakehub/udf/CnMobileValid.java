package lakehub.udf;

import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Mainland mobile number: 11 ASCII digits, 1 then 3-9 (1[3-9]xxxxxxxxx). Null is false. The pure-Python twin
 * is lakehub.quality_rules.cn_codes.is_valid_mobile.
 */
/* Input: Spark's own UTF-8 string (no conversion); valid codes are ASCII, so a non-ASCII byte fails. */
public final class CnMobileValid {

  private CnMobileValid() {}

  /** The check on one value, read in place from Spark's UTF-8 bytes (null: false). */
  public static boolean of(UTF8String value) {
    return value != null && of(value.getBaseObject(), value.getBaseOffset(), value.numBytes());
  }

  /** {@link #of(UTF8String)} on UTF-8 bytes where they lie (see CnResidentIdFacts). */
  public static boolean of(Object base, long offset, int length) {
    if (length != 11 || at(base, offset, 0) != '1') {
      return false;
    }
    char second = at(base, offset, 1);
    if (second < '3' || second > '9') {
      return false;
    }
    for (int i = 2; i < 11; i++) {
      char c = at(base, offset, i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** The byte at `index` as an unsigned value (UTF-8 lead and continuation bytes are >= 128). */
  private static char at(Object base, long offset, int index) {
    return (char) (Platform.getByte(base, offset + index) & 0xFF);
  }
}
