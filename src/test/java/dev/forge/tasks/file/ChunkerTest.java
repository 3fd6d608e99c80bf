package dev.forge.tasks.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The chunking rule of the README: where sentences end, and how they are packed into segments. */
class ChunkerTest {

  private static List<String> sentences(String text) {
    List<String> out = new ArrayList<>();
    for (int start = 0, end; start < text.length(); start = end) {
      end = Chunker.sentenceEnd(text, start);
      assertTrue(end > start, "progress at " + start);
      out.add(text.substring(start, end));
    }
    return out;
  }

  @Test
  void sentencesEndAfterTerminatorsFollowedByASpace() {
    assertEquals(List.of("One. ", "Two! ", "Three? ", "four"), sentences("One. Two! Three? four"));
    assertEquals(List.of("He said \"stop.\" ", "Then (it ended.) ", "Yes"), sentences("He said \"stop.\" Then (it ended.) Yes"));
    assertEquals(List.of("Wait... what?! ", "No."), sentences("Wait... what?! No."));
    assertEquals(List.of("中文。", "下一句。"), sentences("中文。下一句。"));
  }

  @Test
  void aPeriodBeforeALowercaseWordOrInsideAWordDoesNotEndASentence() {
    assertEquals(List.of("Bees, e.g. honey bees, fly. ", "Pi is 3.14 or so. ", "See example.com now."),
      sentences("Bees, e.g. honey bees, fly. Pi is 3.14 or so. See example.com now."));
    assertEquals(List.of("no terminator at all"), sentences("no terminator at all"));
  }

  @Test
  void segmentsPackWholeSentencesUpToTheTargetWithAnOverlap() {
    List<Chunker.Chunk> chunks = new ArrayList<>();
    Chunker chunker = new Chunker(chunks::add);
    StringBuilder paragraph = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      paragraph.append("Sentence number ").append(i).append(" is about bees and their hives. ");
    }
    chunker.paragraph(paragraph.toString(), false, 0);
    int made = chunker.finish();
    assertEquals(chunks.size(), made);
    assertTrue(chunks.size() > 3, "several chunks: " + chunks.size());
    for (int i = 0; i + 1 < chunks.size(); i++) {
      String a = chunks.get(i).text();
      assertTrue(a.length() <= Chunker.TARGET_CHARS, a);
      assertTrue(a.endsWith("hives."), a);
      String last = a.substring(a.lastIndexOf("Sentence number"));
      assertTrue(chunks.get(i + 1).text().startsWith(last), "overlap of " + i);
    }
  }
}
