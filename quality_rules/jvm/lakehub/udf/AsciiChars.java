package lakehub.udf;

import org.apache.spark.unsafe.types.UTF8String;

/**
 * The characters of a UTF8String read from its bytes, without decoding: exact for an all-ASCII value. A
 * byte of a multi-byte character reads as a char of 0xFF80 or above, so digit and letter tests on such a
 * value simply fail. The value may be swapped (a reused view, as RegexFind keeps one per thread).
 */
final class AsciiChars implements CharSequence {
  UTF8String value;

  AsciiChars(UTF8String value) {
    this.value = value;
  }

  @Override
  public int length() {
    return value.numBytes();
  }

  @Override
  public char charAt(int index) {
    if (index < 0 || index >= value.numBytes()) {
      throw new IndexOutOfBoundsException(index);
    }
    return (char) value.getByte(index);
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    return toString().substring(start, end);
  }

  @Override
  public String toString() {
    return value.toString();
  }
}
