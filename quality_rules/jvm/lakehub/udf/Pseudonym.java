package lakehub.udf;

import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The theme tier's person_key: HMAC-SHA256 (lower-case hex) of the trimmed, upper-cased value — the same
 * value as lakehub.quality_rules.masking.pseudonymise and the SQL form it replaces (Spark's trim and upper).
 *
 * <p>A value that already is a pseudonym (64 lower-case hex characters) passes unchanged; null stays null.
 * The key arrives as the HMAC inner pad in hex (the block-sized key XOR 0x36, as the SQL form carried it),
 * never as the key itself. Each executor thread keeps one initialised Mac per key, so a row costs the two
 * SHA-256 compressions HMAC needs and no key set-up.
 */
public final class Pseudonym {
  private static final int BLOCK = 64;
  private static final HexFormat HEX = HexFormat.of();

  private static final class Keyed {
    UTF8String innerPad;
    Mac mac;
  }

  private static final ThreadLocal<Keyed> MAC = ThreadLocal.withInitial(Keyed::new);

  private Pseudonym() {}

  /** person_key of one value under the key whose inner pad is innerPadHex. */
  public static UTF8String of(UTF8String value, UTF8String innerPadHex) {
    if (value == null) {
      return null;
    }
    if (isPseudonym(value)) {
      return value;
    }
    byte[] digest = mac(innerPadHex).doFinal(value.trim().toUpperCase().getBytes());
    return UTF8String.fromString(HEX.formatHex(digest));
  }

  private static boolean isPseudonym(UTF8String value) {
    if (value.numBytes() != 64) {
      return false;
    }
    for (int i = 0; i < 64; i++) {
      byte b = value.getByte(i);
      if (!((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static Mac mac(UTF8String innerPadHex) {
    Keyed keyed = MAC.get();
    if (keyed.mac == null || !innerPadHex.equals(keyed.innerPad)) {
      byte[] key = HEX.parseHex(innerPadHex.toString());
      if (key.length != BLOCK) {
        throw new IllegalArgumentException("person_key: the inner pad must be " + BLOCK + " bytes");
      }
      for (int i = 0; i < BLOCK; i++) {
        key[i] ^= 0x36;
      }
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        keyed.mac = mac;
      } catch (GeneralSecurityException err) {
        throw new IllegalStateException("person_key: HmacSHA256 unavailable", err);
      }
      keyed.innerPad = innerPadHex.clone();
    }
    return keyed.mac;
  }
}
