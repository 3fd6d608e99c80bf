package dev.forge.tasks.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The extractive summary: sentence weights, which sentences are kept and in what order, keywords. */
class TextAnalysisTest {

  private static final TextAnalysis.Progress QUIET = (fraction, stage) -> { };

  /** Ten sentences: [2] is the second heaviest, [8] the heaviest; the rest share no words. */
  private static final List<String> TEN = List.of(
    "The weather was mild on Tuesday morning.",
    "Lunch arrived late again.",
    "Postgres stores every task row that vertx workers claim.",
    "Nobody noticed the parking meter.",
    "A cat slept near the window.",
    "Rain began after dinner.",
    "The museum closed early.",
    "Trains were delayed by snow.",
    "Postgres and vertx keep postgres tasks durable for vertx.",
    "Children played in the park.");

  @Test
  void keepsTheHeaviestSentencesInTheirOriginalOrder() {
    String text = String.join(" ", TEN);
    TextAnalysis.Result one = TextAnalysis.analyse(text, 1, 10, QUIET);
    assertEquals(TEN.get(8), one.summary(), "the single best sentence");
    // A fifth of ten sentences is two: [8] scores higher, yet [2] comes first.
    TextAnalysis.Result two = TextAnalysis.analyse(text, 5, 10, QUIET);
    assertEquals(TEN.get(2) + " " + TEN.get(8), two.summary());
    assertEquals(10, two.sentences());
  }

  @Test
  void keepsAboutAFifthOfTheSentencesUpToTheMaximum() {
    record Case(int sentences, int max, int kept) {
    }
    for (Case c : List.of(new Case(1, 5, 1), new Case(3, 5, 1), new Case(5, 5, 1), new Case(6, 5, 2),
      new Case(11, 5, 3), new Case(26, 5, 5), new Case(26, 2, 2), new Case(100, 5, 5))) {
      String text = String.join(" ", IntStream.range(0, c.sentences())
        .mapToObj(i -> "Sentence number " + words(i) + " talks about topic " + words(i * 7 + 3) + ".").toList());
      TextAnalysis.Result r = TextAnalysis.analyse(text, c.max(), 10, QUIET);
      assertEquals(c.sentences(), r.sentences(), c.toString());
      assertEquals(c.kept(), TextAnalysis.sentences(r.summary()).size(), c + ": " + r.summary());
    }
  }

  /** A distinct word per number, letters only (digits are not words). */
  private static String words(int n) {
    StringBuilder b = new StringBuilder("w");
    for (char c : Integer.toString(n).toCharArray()) {
      b.append((char) ('a' + (c - '0')));
    }
    return b.append("x").toString();
  }

  @Test
  void keywordsAreTheMostFrequentWordsTiesAlphabetical() {
    String text = "Zebra zebra ZEBRA graze. Apple apple mango. Mango kiwi. The ox is on a hill.";
    TextAnalysis.Result r = TextAnalysis.analyse(text, 5, 4, QUIET);
    assertEquals(List.of("zebra", "apple", "mango", "graze"), r.keywords());
    assertEquals(List.of("apple", "graze", "hill", "kiwi", "mango", "zebra"),
      TextAnalysis.analyse(text, 5, 100, QUIET).keywords().stream().sorted().toList(),
      "stop words and words under three letters are no keywords");
  }

  /** What words() returned when it was a regex: the scan must find the same words, in the same order. */
  private static List<String> regexWords(String sentence) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\\p{L}[\\p{L}\\p{N}'’-]*").matcher(sentence);
    while (m.find()) {
      int end = m.end();
      while (end > m.start() && "'’-".indexOf(sentence.charAt(end - 1)) >= 0) {
        end--;
      }
      String w = sentence.substring(m.start(), end).toLowerCase(Locale.ROOT);
      if (w.length() >= 3 && !TextAnalysis.STOP_WORDS.contains(w)) {
        out.add(w);
      }
    }
    return out;
  }

  @Test
  void wordsAreWhatTheWordPatternMatches() {
    String tricky = "Rock-'n'-roll’s ‘quoted’ x2y3 3abc ab1 İİ İstanbul Ⅻ-roman ²³ abc² 𝐀𝐁𝐂 𝐀b the ĳssel "
      + "naïve—dash l'été can't-- trailing''' 中文字 ٣٤٥ abc٣ \uD835 lone \uDC00 surrogate, tab\tsep. THE Which";
    assertEquals(regexWords(tricky), TextAnalysis.words(tricky));
    assertTrue(TextAnalysis.words(tricky).size() > 15, "the tricky sentence has words");
    Random random = new Random(11);
    String alphabet = "abcXYZ019 '’-.,éİ²Ⅻ中٣\uD835\uDC00𝐀";
    for (int round = 0; round < 5000; round++) {
      StringBuilder sb = new StringBuilder();
      for (int i = random.nextInt(40); i > 0; i--) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String s = sb.toString();
      assertEquals(regexWords(s), TextAnalysis.words(s), "seed 11, round " + round + ": " + s);
    }
  }

  @Test
  void wordsAreLowerCasedWithoutStopWordsOrShortWords() {
    assertEquals(List.of("runtime", "claims", "tasks", "don't", "stop"),
      TextAnalysis.words("The Runtime claims tasks, and we don't stop."));
    assertEquals(List.of("état", "über", "naïve"), TextAnalysis.words("État über naïve, ok?"));
  }

  @Test
  void sentencesAreSplitAndTheirWhitespaceCollapsed() {
    assertEquals(List.of("First line still first.", "Second one!", "Third?"),
      TextAnalysis.sentences("  First   line\n\tstill first.  Second one!\n\nThird?  "));
    TextAnalysis.Result r = TextAnalysis.analyse("Only one sentence without a stop", 5, 10, QUIET);
    assertEquals(1, r.sentences());
    assertEquals("Only one sentence without a stop", r.summary());
  }

  @Test
  void reportsProgressForwardThroughItsStages() {
    List<Double> fractions = new ArrayList<>();
    List<String> stages = new ArrayList<>();
    TextAnalysis.analyse(String.join(" ", TEN).repeat(30), 5, 10, (fraction, stage) -> {
      fractions.add(fraction);
      if (stages.isEmpty() || !stages.get(stages.size() - 1).equals(stage)) {
        stages.add(stage);
      }
    });
    assertEquals(List.of("parsing", "scoring", "summarizing"), stages);
    for (int i = 0; i < fractions.size(); i++) {
      double f = fractions.get(i);
      assertTrue(f >= 0.0 && f < 1.0, "fraction " + f);
      assertTrue(i == 0 || f >= fractions.get(i - 1), "never backwards: " + fractions);
    }
    assertTrue(fractions.size() <= 60, "a bounded number of reports, not one per sentence: " + fractions.size());
  }

  @Test
  void aThrowingProgressStopsTheAnalysis() {
    JobCancelledException stop = new JobCancelledException("task_x");
    List<String> seen = new ArrayList<>();
    JobCancelledException thrown = assertThrows(JobCancelledException.class,
      () -> TextAnalysis.analyse(String.join(" ", TEN), 5, 10, (fraction, stage) -> {
        seen.add(stage);
        if (stage.equals("scoring")) {
          throw stop;
        }
      }));
    assertSame(stop, thrown);
    assertEquals("scoring", seen.get(seen.size() - 1), "nothing after the throw");
  }
}
