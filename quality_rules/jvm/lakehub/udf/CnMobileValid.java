package lakehub.udf;

import org.apache.spark.sql.api.java.UDF1;

/**
 * Mainland mobile number: 11 ASCII digits, 1 then 3-9 (1[3-9]xxxxxxxxx). Null is false. The pure-Python twin
 * is lakehub.quality_rules.cn_codes.is_valid_mobile.
 */
public final class CnMobileValid implements UDF1<String, Boolean> {
  private static final long serialVersionUID = 1L;

  @Override
  public Boolean call(String value) {
    if (value == null || value.length() != 11 || value.charAt(0) != '1') {
      return false;
    }
    char second = value.charAt(1);
    if (second < '3' || second > '9') {
      return false;
    }
    for (int i = 2; i < 11; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
