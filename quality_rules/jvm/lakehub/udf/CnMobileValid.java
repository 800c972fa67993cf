package lakehub.udf;

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
    if (value == null || value.numBytes() != 11 || at(value, 0) != '1') {
      return false;
    }
    char second = at(value, 1);
    if (second < '3' || second > '9') {
      return false;
    }
    for (int i = 2; i < 11; i++) {
      char c = at(value, i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** The byte at `index` as an unsigned value (UTF-8 lead and continuation bytes are >= 128). */
  private static char at(UTF8String value, int index) {
    return (char) (value.getByte(index) & 0xFF);
  }
}
