package dev.forge.tasks.file;

/**
 * Receives extracted text as it comes (SAX character runs and block boundaries), collapses
 * whitespace, cuts paragraphs at block ends and blank lines, and hands them to the {@link Chunker}.
 * It holds one paragraph at most {@value #SOFT_LIMIT} characters long (a longer one goes on in
 * pieces of whole sentences), plus the first {@value #ANALYSIS_CHARS} characters of the text for
 * the analysis; it counts every character, so the caller can bound the total.
 */
final class TextSink {

  static final int SOFT_LIMIT = 16 * 1024;
  static final int ANALYSIS_CHARS = 256 * 1024;

  private final Chunker chunker;
  private final StringBuilder paragraph = new StringBuilder();
  private final StringBuilder analysis = new StringBuilder();
  private boolean continues;
  private boolean space;
  private int newlines;
  private long chars;
  private int page;

  TextSink(Chunker chunker) {
    this.chunker = chunker;
  }

  /** Characters of text; control characters and NULs count as spaces. Runs of ordinary characters are copied whole. */
  void text(char[] ch, int start, int length) {
    int end = start + length;
    int run = start;
    for (int i = start; i < end; i++) {
      char c = ch[i];
      if (ordinary(c)) {
        continue;
      }
      append(ch, run, i);
      run = i + 1;
      if (c == '\n') {
        if (++newlines >= 2) {
          paragraphBreak();
        } else {
          space = true;
        }
      } else if (c != '\r') {
        space = true;
        newlines = c == '\t' || c == ' ' ? newlines : 0;
      }
    }
    append(ch, run, end);
    if (paragraph.length() >= SOFT_LIMIT) {
      flushSentences();
    }
  }

  /** Neither whitespace, a control character nor a no-break space. */
  private static boolean ordinary(char c) {
    return c > ' ' && (c < '\u007f' || c != '\u00a0' && !Character.isWhitespace(c) && !Character.isISOControl(c));
  }

  /** Appends the ordinary characters {@code ch[from, to)}, after one space if whitespace came before them. */
  private void append(char[] ch, int from, int to) {
    if (from == to) {
      return;
    }
    if (space && paragraph.length() > 0) {
      paragraph.append(' ');
    }
    space = false;
    newlines = 0;
    paragraph.append(ch, from, to - from);
    chars += to - from;
  }

  /** A block ended (or began): the paragraph so far is complete. */
  void paragraphBreak() {
    if (paragraph.length() > 0) {
      String text = paragraph.toString();
      keep(text);
      chunker.paragraph(text, continues, page);
      paragraph.setLength(0);
    }
    continues = false;
    space = false;
  }

  /** The next page begins (pages count from 1; text before the first page is page 0). */
  void nextPage() {
    paragraphBreak();
    page++;
  }

  int pages() {
    return page;
  }

  /** Non-space characters seen so far. */
  long chars() {
    return chars;
  }

  /** The first part of the text, paragraphs separated by blank lines, for the analysis. */
  String analysisText() {
    return analysis.toString();
  }

  /** Hands on the complete sentences of a long paragraph and keeps the last, unfinished one. */
  private void flushSentences() {
    String text = paragraph.toString();
    int cut = 0;
    for (int end = Chunker.sentenceEnd(text, 0); end < text.length(); end = Chunker.sentenceEnd(text, end)) {
      cut = end;
    }
    if (cut <= 0) {
      // One endless sentence: cut at its last space, or anywhere.
      cut = text.lastIndexOf(' ');
      cut = cut > 0 ? cut : text.length() - SOFT_LIMIT / 4;
      if (Character.isHighSurrogate(text.charAt(cut - 1))) {
        cut--;
      }
    }
    String done = text.substring(0, cut);
    keep(done);
    chunker.paragraph(done, continues, page);
    continues = true;
    paragraph.delete(0, cut);
  }

  private void keep(String text) {
    if (analysis.length() < ANALYSIS_CHARS) {
      if (analysis.length() > 0) {
        analysis.append(continues ? " " : "\n\n");
      }
      analysis.append(text, 0, Math.min(text.length(), ANALYSIS_CHARS - analysis.length()));
    }
  }
}
