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
    final AsciiChars view = new AsciiChars(null);
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
}
