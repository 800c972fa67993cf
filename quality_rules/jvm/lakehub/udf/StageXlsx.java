package lakehub.udf;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Stages an XLSX delivery as numbered JSON records ({@code row<US>{"column": "text", ...}}), the JVM twin of
 * {@code lakehub.pipelines.intake._stage_xlsx} (calamine + Python's JSON encoder, which costs about 20 s per
 * million rows in Python and holds the interpreter lock while other landings plan their jobs).
 *
 * <p>It reads the workbook with the JDK's zip and StAX parsers: the sheets in workbook order, shared and
 * inline strings, numbers, booleans. It writes the same bytes as the Python path or declines: anything whose
 * reading by calamine it does not reproduce exactly (date or custom number formats, error and ISO-date cells,
 * whole numbers beyond 2^53, phonetic runs, {@code _xHHHH_} escapes, empty-string cells, headers that are not
 * plain text, sheets whose headers differ, cells right of the header) returns {@code {"fallback", why}}, and
 * Python stages the file (and raises the exact error where there is one).
 *
 * <p>Use: {@code header()} (the first non-empty sheet's header texts, which Python maps to the spec's
 * columns), then {@code stage(target, columns)}, then {@code close()}.
 */
public final class StageXlsx implements Closeable {
  private static final String REL_NS_END = "/relationships";
  private static final String XML_NS = "http://www.w3.org/XML/1998/namespace";
  private static final char SEPARATOR = '\u001f';
  private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern INDEX = Pattern.compile("\\d{1,9}");
  private static final double EXACT = 9007199254740992.0; // 2^53
  private static final Pattern ESCAPE = Pattern.compile("_x[0-9A-Fa-f]{4}_");
  /** Built-in number formats calamine reads as plain numbers (not dates or times). */
  private static final Set<Integer> PLAIN_FORMATS =
      Set.of(0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 37, 38, 39, 40, 48, 49);

  private final ZipFile zip;
  private final XMLInputFactory factory;
  private final List<String> sheets = new ArrayList<>();
  private String[] shared;
  private boolean[] plainStyle;
  private String[] header;

  /** Declines a workbook (the caller stages it in Python). */
  private static final class Decline extends Exception {
    Decline(String why) {
      super(why, null, false, false);
    }
  }

  public StageXlsx(String path) throws IOException {
    zip = new ZipFile(path, StandardCharsets.UTF_8);
    factory = XMLInputFactory.newInstance();
    factory.setProperty(XMLInputFactory.IS_COALESCING, Boolean.TRUE);
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, Boolean.FALSE);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, Boolean.FALSE);
  }

  @Override
  public void close() throws IOException {
    zip.close();
  }

  /** {@code {"ok", header texts...}} of the first sheet that has a row, or {@code {"fallback", why}}. */
  public String[] header() {
    try {
      open();
      for (String sheet : sheets) {
        String[] found = new Sheet(sheet, null, null, 0).headerOnly();
        if (found != null) {
          header = found;
          String[] answer = new String[found.length + 1];
          answer[0] = "ok";
          System.arraycopy(found, 0, answer, 1, found.length);
          return answer;
        }
      }
      return new String[] {"fallback", "no sheet has a header row"};
    } catch (Decline | IOException | XMLStreamException | RuntimeException err) {
      return new String[] {"fallback", why(err)};
    }
  }

  /**
   * Writes every sheet's data rows to {@code target}.
   *
   * @param columns the spec column names for the header's cells, joined by U+001F
   * @return {@code {"ok", rows written}} or {@code {"fallback", why}}
   */
  public String[] stage(String target, String columns) {
    if (header == null) {
      return new String[] {"fallback", "header() was not called or declined"};
    }
    String[] names = columns.split(String.valueOf(SEPARATOR), -1);
    if (names.length != header.length) {
      return new String[] {"fallback", "the column list does not match the header"};
    }
    String[] keys = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      keys[i] = (i == 0 ? "{" : ", ") + jsonString(names[i]) + ": ";
    }
    try (Writer out =
        new BufferedWriter(
            new OutputStreamWriter(Files.newOutputStream(Path.of(target)), StandardCharsets.UTF_8),
            1 << 20)) {
      long rowNo = 0;
      long written = 0;
      for (String sheet : sheets) {
        Sheet reader = new Sheet(sheet, out, keys, rowNo);
        reader.rows();
        rowNo = reader.rowNo;
        written += reader.written;
      }
      return new String[] {"ok", Long.toString(written)};
    } catch (Decline | IOException | XMLStreamException | RuntimeException err) {
      return new String[] {"fallback", why(err)};
    }
  }

  private static String why(Exception err) {
    return err instanceof Decline ? err.getMessage() : err.getClass().getSimpleName() + ": " + err.getMessage();
  }

  // ---- workbook parts ----

  private void open() throws IOException, XMLStreamException, Decline {
    if (!sheets.isEmpty()) {
      return;
    }
    Map<String, String> targets = new HashMap<>();
    String sharedPath = null;
    String stylesPath = null;
    XMLStreamReader rels = reader(part("xl/_rels/workbook.xml.rels", true));
    while (rels.hasNext()) {
      if (rels.next() == XMLStreamConstants.START_ELEMENT && rels.getLocalName().equals("Relationship")) {
        String type = rels.getAttributeValue(null, "Type");
        String target = resolve(rels.getAttributeValue(null, "Target"));
        String kind = type == null ? "" : type.substring(type.lastIndexOf('/') + 1);
        targets.put(rels.getAttributeValue(null, "Id"), kind + "\n" + target);
        if (kind.equals("sharedStrings")) {
          sharedPath = target;
        } else if (kind.equals("styles")) {
          stylesPath = target;
        }
      }
    }
    XMLStreamReader book = reader(part("xl/workbook.xml", true));
    while (book.hasNext()) {
      if (book.next() == XMLStreamConstants.START_ELEMENT && book.getLocalName().equals("sheet")) {
        String id = null;
        for (int i = 0; i < book.getAttributeCount(); i++) {
          if (book.getAttributeLocalName(i).equals("id")
              && String.valueOf(book.getAttributeNamespace(i)).endsWith(REL_NS_END)) {
            id = book.getAttributeValue(i);
          }
        }
        String target = targets.get(id);
        if (target == null || !target.startsWith("worksheet\n")) {
          throw new Decline("sheet '" + book.getAttributeValue(null, "name") + "' is not a worksheet");
        }
        sheets.add(target.substring("worksheet\n".length()));
      }
    }
    shared = sharedPath == null ? new String[0] : sharedStrings(sharedPath);
    plainStyle = stylesPath == null ? new boolean[0] : plainStyles(stylesPath);
  }

  private static String resolve(String target) {
    if (target == null) {
      return "";
    }
    return target.startsWith("/") ? target.substring(1) : "xl/" + target;
  }

  private InputStream part(String name, boolean required) throws IOException, Decline {
    ZipEntry entry = zip.getEntry(name);
    if (entry == null) {
      if (required) {
        throw new Decline("the workbook has no " + name);
      }
      return null;
    }
    return zip.getInputStream(entry);
  }

  private XMLStreamReader reader(InputStream in) throws XMLStreamException {
    return factory.createXMLStreamReader(in, "UTF-8");
  }

  private String[] sharedStrings(String name) throws IOException, XMLStreamException, Decline {
    List<String> texts = new ArrayList<>();
    XMLStreamReader xml = reader(part(name, true));
    while (xml.hasNext()) {
      if (xml.next() == XMLStreamConstants.START_ELEMENT && xml.getLocalName().equals("si")) {
        texts.add(richText(xml, "si"));
      }
    }
    return texts.toArray(new String[0]);
  }

  /** Which cell styles (cellXfs index) calamine reads numbers under as plain numbers. */
  private boolean[] plainStyles(String name) throws IOException, XMLStreamException, Decline {
    List<Boolean> plain = new ArrayList<>();
    Map<Integer, String> codes = new HashMap<>();
    XMLStreamReader xml = reader(part(name, true));
    boolean inCellXfs = false;
    while (xml.hasNext()) {
      int event = xml.next();
      if (event == XMLStreamConstants.START_ELEMENT) {
        String local = xml.getLocalName();
        if (local.equals("numFmt")) {
          codes.put(
              Integer.parseInt(xml.getAttributeValue(null, "numFmtId")),
              String.valueOf(xml.getAttributeValue(null, "formatCode")));
        } else if (local.equals("cellXfs")) {
          inCellXfs = true;
        } else if (inCellXfs && local.equals("xf")) {
          String id = xml.getAttributeValue(null, "numFmtId");
          int format = id == null ? 0 : Integer.parseInt(id);
          String code = codes.get(format);
          plain.add(code == null ? PLAIN_FORMATS.contains(format) : plainCode(code));
        }
      } else if (event == XMLStreamConstants.END_ELEMENT && xml.getLocalName().equals("cellXfs")) {
        inCellXfs = false;
      }
    }
    boolean[] answer = new boolean[plain.size()];
    for (int i = 0; i < answer.length; i++) {
      answer[i] = plain.get(i);
    }
    return answer;
  }

  /**
   * Whether a custom number format surely shows a number, not a date or time: no date, time or AM/PM letter
   * outside quotes, escapes and brackets, and no [h]/[m]/[s] duration (a superset of what calamine's
   * {@code is_custom_date_format} takes for a date, so calamine reads such cells as numbers).
   */
  static boolean plainCode(String code) {
    boolean quoted = false;
    int brackets = 0;
    for (int i = 0; i < code.length(); i++) {
      char c = code.charAt(i);
      if (quoted) {
        quoted = c != '"';
      } else if (c == '_' || c == '\\' || c == '*') {
        i++; // the next character is a literal (or padding)
      } else if (c == '"') {
        quoted = true;
      } else if (c == ';') {
        return true; // calamine looks at the first section only
      } else if (c == '[') {
        brackets++;
      } else if (c == ']') {
        brackets = Math.max(0, brackets - 1);
      } else if (brackets > 0) {
        if ("hmsHMS".indexOf(c) >= 0) {
          return false; // [h], [mm], [ss]: a duration
        }
      } else if ("dmhysDMHYSaApP".indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }

  /** The text of a shared or inline string: its {@code t} elements, rich-text runs included. */
  private static String richText(XMLStreamReader xml, String end) throws XMLStreamException, Decline {
    StringBuilder text = new StringBuilder();
    while (xml.hasNext()) {
      int event = xml.next();
      if (event == XMLStreamConstants.START_ELEMENT) {
        String local = xml.getLocalName();
        if (local.equals("t")) {
          boolean preserve = "preserve".equals(xml.getAttributeValue(XML_NS, "space"));
          String part = xml.getElementText();
          text.append(preserve ? part : trimXmlSpace(part)); // calamine trims unless xml:space="preserve"
        } else if (local.equals("rPh") || local.equals("phoneticPr")) {
          throw new Decline("a string has phonetic runs");
        }
      } else if (event == XMLStreamConstants.END_ELEMENT && xml.getLocalName().equals(end)) {
        break;
      }
    }
    return withoutEscapes(text.toString());
  }

  /** The text itself; declines one holding an OOXML {@code _xHHHH_} escape (calamine decodes those). */
  private static String withoutEscapes(String text) throws Decline {
    if (text.indexOf("_x") >= 0 && ESCAPE.matcher(text).find()) {
      throw new Decline("a string holds an _xHHHH_ escape");
    }
    return text;
  }

  private static String trimXmlSpace(String text) {
    int start = 0;
    int end = text.length();
    while (start < end && isXmlSpace(text.charAt(start))) {
      start++;
    }
    while (end > start && isXmlSpace(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(start, end);
  }

  private static boolean isXmlSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  // ---- one worksheet ----

  private final class Sheet {
    private final String name;
    private final Writer out;
    private final String[] keys;
    long rowNo;
    long written;
    private int headerRow = -1;
    private int lastRow; // 0 before the first row
    private int lastValueRow = -1;
    private final String[] cells = new String[64];
    private int width;

    Sheet(String name, Writer out, String[] keys, long rowNo) {
      this.name = name;
      this.out = out;
      this.keys = keys;
      this.rowNo = rowNo;
    }

    /** The header texts, or null when the sheet has no row with a value. */
    String[] headerOnly() throws IOException, XMLStreamException, Decline {
      XMLStreamReader xml = reader(part(name, true));
      while (xml.hasNext()) {
        if (xml.next() == XMLStreamConstants.START_ELEMENT && xml.getLocalName().equals("row")) {
          int row = readRow(xml);
          if (width > 0) {
            return headerTexts(row);
          }
        }
      }
      return null;
    }

    void rows() throws IOException, XMLStreamException, Decline {
      XMLStreamReader xml = reader(part(name, true));
      while (xml.hasNext()) {
        if (xml.next() != XMLStreamConstants.START_ELEMENT || !xml.getLocalName().equals("row")) {
          continue;
        }
        int row = readRow(xml);
        if (width == 0) {
          continue;
        }
        if (headerRow < 0) {
          if (!Arrays.equals(headerTexts(row), header)) {
            throw new Decline("sheet " + name + " has a different header");
          }
          headerRow = row;
          continue;
        }
        if (width > header.length) {
          throw new Decline("row " + row + " of " + name + " has cells right of the header");
        }
        lastValueRow = row;
        if (blank()) {
          continue;
        }
        StringBuilder line = new StringBuilder(256);
        line.append(rowNo + row - headerRow).append(SEPARATOR);
        for (int i = 0; i < keys.length; i++) {
          line.append(keys[i]);
          String text = i < width ? cells[i] : null;
          if (text == null || text.isEmpty()) {
            line.append("null");
          } else {
            appendJson(line, text);
          }
        }
        line.append("}\n");
        out.append(line);
        written++;
      }
      if (headerRow >= 0 && lastValueRow > headerRow) {
        rowNo += lastValueRow - headerRow;
      }
    }

    private String[] headerTexts(int row) throws Decline {
      if (row != 1) { // calamine's rows start at row 1, so Python takes an empty first row as the header
        throw new Decline("the first row of " + name + " is empty");
      }
      String[] texts = Arrays.copyOf(cells, width);
      for (String text : texts) {
        if (text == null || text.isEmpty()) {
          throw new Decline("the header row " + row + " of " + name + " has an empty cell");
        }
      }
      return texts;
    }

    private boolean blank() {
      for (int i = 0; i < width; i++) {
        String text = cells[i];
        if (text != null) {
          for (int j = 0; j < text.length(); j++) {
            if (!StageText.isPythonSpace(text.charAt(j))) {
              return false;
            }
          }
        }
      }
      return true;
    }

    /** Reads one {@code row} element's cells into {@code cells[0..width)}; returns its 1-based number. */
    private int readRow(XMLStreamReader xml) throws XMLStreamException, Decline {
      String r = xml.getAttributeValue(null, "r");
      int row = r == null ? lastRow + 1 : Integer.parseInt(r);
      if (row <= lastRow) {
        throw new Decline(name + ": rows out of order at row " + row);
      }
      lastRow = row;
      Arrays.fill(cells, 0, width, null);
      width = 0;
      int column = -1;
      while (xml.hasNext()) {
        int event = xml.next();
        if (event == XMLStreamConstants.END_ELEMENT && xml.getLocalName().equals("row")) {
          break;
        }
        if (event != XMLStreamConstants.START_ELEMENT || !xml.getLocalName().equals("c")) {
          continue;
        }
        String ref = xml.getAttributeValue(null, "r");
        column = ref == null ? column + 1 : columnIndex(ref);
        String text = cell(xml, row);
        if (text != null) {
          if (column >= cells.length) {
            throw new Decline(name + ": more than " + cells.length + " columns");
          }
          cells[column] = text;
          width = Math.max(width, column + 1);
        }
      }
      return row;
    }

    /** One {@code c} element's text as lakehub's Python path would stage it; null when it holds no value. */
    private String cell(XMLStreamReader xml, int row) throws XMLStreamException, Decline {
      String type = xml.getAttributeValue(null, "t");
      String style = xml.getAttributeValue(null, "s");
      String value = null;
      String inline = null;
      while (xml.hasNext()) {
        int event = xml.next();
        if (event == XMLStreamConstants.START_ELEMENT) {
          String local = xml.getLocalName();
          if (local.equals("v")) {
            value = xml.getElementText();
          } else if (local.equals("is")) {
            inline = richText(xml, "is");
          }
        } else if (event == XMLStreamConstants.END_ELEMENT && xml.getLocalName().equals("c")) {
          break;
        }
      }
      String text;
      if (type == null || type.equals("n")) {
        if (value == null) {
          return null;
        }
        int s = style == null ? 0 : Integer.parseInt(style);
        if (s != 0 && (s >= plainStyle.length || !plainStyle[s])) {
          throw new Decline(name + " row " + row + ": a number with a date or custom format");
        }
        text = numberText(value);
      } else if (type.equals("s")) {
        if (value == null) {
          return null;
        }
        if (!INDEX.matcher(value).matches() || Integer.parseInt(value) >= shared.length) {
          throw new Decline(name + " row " + row + ": a shared-string index '" + value + "'");
        }
        text = shared[Integer.parseInt(value)];
      } else if (type.equals("inlineStr")) {
        text = inline;
      } else if (type.equals("str")) {
        text = value;
      } else if (type.equals("b")) {
        if (value != null && !value.equals("0") && !value.equals("1")) {
          throw new Decline(name + " row " + row + ": a boolean cell holds '" + value + "'");
        }
        text = value == null ? null : value.equals("1") ? "True" : "False";
      } else {
        throw new Decline(name + " row " + row + ": a cell of type '" + type + "'");
      }
      if (text == null) {
        return null;
      }
      return "str".equals(type) ? withoutEscapes(text) : text;
    }
  }

  private static int columnIndex(String ref) throws Decline {
    int index = 0;
    int i = 0;
    while (i < ref.length() && Character.isLetter(ref.charAt(i))) {
      index = index * 26 + (Character.toUpperCase(ref.charAt(i)) - 'A' + 1);
      i++;
    }
    if (i == 0) {
      throw new Decline("a cell reference without a column: " + ref);
    }
    return index - 1;
  }

  // ---- texts as Python writes them ----

  /** A number cell's text as {@code intake._cell_text} writes calamine's float. */
  public static String numberText(String value) throws Decline {
    if (!NUMBER.matcher(value).matches()) { // calamine keeps anything else as text; Java would parse some
      throw new Decline("a number cell holds '" + value + "'");
    }
    double number = Double.parseDouble(value);
    if (Double.isNaN(number) || Double.isInfinite(number)) {
      throw new Decline("a number cell holds '" + value + "'");
    }
    if (number == Math.rint(number)) {
      if (Math.abs(number) >= EXACT) {
        throw new Decline("a whole number beyond 2^53 (openpyxl reads its exact digits)");
      }
      return Long.toString((long) number);
    }
    return pythonRepr(number);
  }

  /** Python's {@code repr} of a finite float that is not a whole number: the shortest round-trip digits. */
  static String pythonRepr(double number) {
    BigDecimal exact = new BigDecimal(number);
    BigDecimal shortest = exact;
    for (int digits = 1; digits <= 17; digits++) {
      BigDecimal rounded = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
      if (rounded.doubleValue() == number) {
        shortest = rounded;
        break;
      }
    }
    shortest = shortest.stripTrailingZeros();
    String digitText = shortest.unscaledValue().abs().toString();
    int point = digitText.length() - shortest.scale(); // value = 0.digits × 10^point
    StringBuilder text = new StringBuilder(number < 0 ? "-" : "");
    if (point <= -4 || point > 16) {
      text.append(digitText.charAt(0));
      if (digitText.length() > 1) {
        text.append('.').append(digitText, 1, digitText.length());
      }
      int exponent = point - 1;
      text.append(exponent < 0 ? "e-" : "e+");
      int magnitude = Math.abs(exponent);
      if (magnitude < 10) {
        text.append('0');
      }
      text.append(magnitude);
    } else if (point <= 0) {
      text.append("0.");
      for (int i = point; i < 0; i++) {
        text.append('0');
      }
      text.append(digitText);
    } else {
      text.append(digitText, 0, point).append('.').append(digitText, point, digitText.length());
    }
    return text.toString();
  }

  /** A JSON string as Python's {@code json} encoder writes it with {@code ensure_ascii=False}. */
  static String jsonString(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2);
    appendJson(out, text);
    return out.toString();
  }

  private static void appendJson(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
