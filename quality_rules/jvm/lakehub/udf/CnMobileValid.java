package lakehub.udf;

import org.apache.spark.sql.api.java.UDF1;

/**
 * Mainland mobile number: 11 ASCII digits, 1 then 3-9 (1[3-9]xxxxxxxxx). Null is false. The pure-Python twin
 * is lakehub.quality_rules.cn_codes.is_valid_mobile.
 */
/* Input: the UTF-8 bytes of the value (CAST(x AS BINARY)); valid codes are ASCII, so a non-ASCII byte fails. */
public final class CnMobileValid implements UDF1<byte[], Boolean> {
  private static final long serialVersionUID = 1L;

  @Override
  public Boolean call(byte[] value) {
    if (value == null || value.length != 11 || at(value, 0) != '1') {
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
  private static char at(byte[] value, int index) {
    return (char) (value[index] & 0xFF);
  }
}
