package lakehub.udf;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * {@code value RLIKE pattern} (java.util.regex, searched with find(), like Spark and Great Expectations)
 * without copying each value into a Java String: an ASCII value is read in place through a CharSequence
 * view of its UTF-8 bytes, and each executor thread reuses one Matcher per pattern. A value with non-ASCII
 * characters is decoded as Spark does. Null values never reach the method (null in, null out).
 */
public final class RegexFind {
  private static final class Cache {
    UTF8String lastPattern;
    Matcher lastMatcher;
    final Map<UTF8String, Matcher> matchers = new HashMap<>();
    final AsciiView view = new AsciiView();
  }

  private static final ThreadLocal<Cache> CACHE = ThreadLocal.withInitial(Cache::new);

  private RegexFind() {}

  /** Whether the pattern matches somewhere in the value. */
  public static boolean of(UTF8String value, UTF8String pattern) {
    Cache cache = CACHE.get();
    Matcher matcher;
    if (pattern == cache.lastPattern) {
      matcher = cache.lastMatcher;
    } else {
      matcher = cache.matchers.get(pattern);
      if (matcher == null) {
        matcher = Pattern.compile(pattern.toString()).matcher("");
        cache.matchers.put(pattern.clone(), matcher);
      }
      cache.lastPattern = pattern;
      cache.lastMatcher = matcher;
    }
    boolean found;
    if (value.isFullAscii()) {
      cache.view.value = value;
      found = matcher.reset(cache.view).find();
      cache.view.value = null;
    } else {
      found = matcher.reset(value.toString()).find();
    }
    return found;
  }

  /** The characters of an all-ASCII UTF8String, read from its bytes. */
  private static final class AsciiView implements CharSequence {
    UTF8String value;

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
}
