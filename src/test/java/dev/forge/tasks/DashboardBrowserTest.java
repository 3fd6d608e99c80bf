package dev.forge.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.forge.tasks.support.Browser;
import dev.forge.tasks.support.LiveNode;
import dev.forge.tasks.support.TestDatabase;
import dev.forge.tasks.support.TestNodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The dashboard in a real browser (headless Debian chromium) against a whole node with API keys.
 * Each test saves a screenshot under {@code target/screenshots/}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DashboardBrowserTest {

  static final String KEY = "dash-key-0123456789";
  static final String BEES = """
      Honey bees survive the winter by forming a tight cluster inside the hive. The workers shiver their
      flight muscles to make heat, and the cluster moves slowly across the combs to reach the stored honey.

      Tides are caused by the gravity of the moon and the sun pulling on the oceans of the earth.
      """;
  static LiveNode node;
  static Browser browser;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    node = LiveNode.start(TestNodes.config(TestDatabase.freshDatabase(), Map.of(
      "TASKS_TYPES", "sleep", "TASKS_JOB_TYPES", "sleep,file_processing,vector_store_creation,vectorization",
      "TASKS_API_KEYS", "acme=" + KEY + ",globex=other-key-0123")));
    base = "http://127.0.0.1:" + node.config.httpPort();
    browser = Browser.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.close();
    }
    LiveNode.stop(node);
  }

  /** Opens the page with the key already in the tab's session storage, and waits until it is live. */
  private void openWithKey() {
    browser.width(1280, 900);
    browser.driver.get(base + "/dashboard/");
    browser.driver.executeScript("sessionStorage.setItem('tasks.apiKey', arguments[0])", KEY);
    browser.driver.navigate().refresh();
    waitLive();
  }

  private void waitLive() {
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.attributeToBe(By.id("live"), "data-state", "live"));
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.attributeToBe(By.tagName("body"), "data-loaded", "true"));
  }

  private static JsonObject create(String id, int ms) throws Exception {
    HttpResponse<Buffer> r = LiveNode.await(node.http.post("/v1/tasks").putHeader("Authorization", "Bearer " + KEY)
      .putHeader("Content-Type", "application/json")
      .sendBuffer(new JsonObject().put("type", "sleep").put("id", id).put("input", new JsonObject().put("ms", ms)).toBuffer()));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static By row(String id) {
    return By.cssSelector("tr[data-task-id='" + id + "']");
  }

  @Test
  void thePageLoadsAsksForTheKeyAndShowsNoConsoleError() {
    browser.width(1280, 900);
    browser.driver.get(base + "/");
    browser.driver.executeScript("sessionStorage.clear()");
    browser.driver.navigate().refresh();
    assertTrue(browser.driver.getCurrentUrl().endsWith("/dashboard/"), browser.driver.getCurrentUrl());
    WebElement input = browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.visibilityOfElementLocated(By.id("key-input")));
    assertEquals(input, browser.driver.switchTo().activeElement(), "the key field has the focus");
    input.sendKeys(KEY + "\n"); // keyboard only
    waitLive();
    browser.waiting(Duration.ofSeconds(5)).until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#counts li"), 5));
    assertEquals("sessionStorage", browser.driver.executeScript(
      "return sessionStorage.getItem('tasks.apiKey') === arguments[0] && localStorage.length === 0 ? 'sessionStorage' : 'elsewhere'", KEY));
    browser.screenshot("dashboard-loaded-1280");
    browser.width(390, 844);
    Object overflow = browser.driver.executeScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth");
    assertEquals(0L, ((Number) overflow).longValue(), "no horizontal scrolling at 390 px");
    browser.screenshot("dashboard-loaded-390");
    assertEquals(List.of(), browser.consoleErrors());
  }

  @Test
  void aTaskCreatedThroughTheApiAppearsWithinASecondAndItsProgressBarMoves() throws Exception {
    openWithKey();
    browser.consoleErrors();
    create("browser-live", 4000);
    WebElement bar = browser.waiting(Duration.ofSeconds(1))
      .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-task-id='browser-live'] progress")));
    assertTrue(bar.isDisplayed());
    browser.waiting(Duration.ofSeconds(10)).until(d -> {
      String value = d.findElement(By.cssSelector("tr[data-task-id='browser-live'] progress")).getDomProperty("value");
      return Double.parseDouble(value) >= 10;
    });
    double first = progressOf("browser-live");
    browser.waiting(Duration.ofSeconds(5)).until(ExpectedConditions.textToBe(
      By.cssSelector("#counts button[data-status='in_progress'] .count-n"), "1"));
    browser.screenshot("dashboard-progress");
    browser.waiting(Duration.ofSeconds(10)).until(d -> progressOf("browser-live") > first);
    browser.waiting(Duration.ofSeconds(15)).until(ExpectedConditions.attributeToBe(row("browser-live"), "data-status", "completed"));
    assertEquals("100", browser.driver.findElement(By.cssSelector("tr[data-task-id='browser-live'] progress")).getDomProperty("value"));
    browser.screenshot("dashboard-completed");
    browser.width(390, 844);
    Object overflow = browser.driver.executeScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth");
    assertEquals(0L, ((Number) overflow).longValue(), "no horizontal scrolling at 390 px");
    browser.screenshot("dashboard-completed-390");
    assertEquals(List.of(), browser.consoleErrors());
  }

  private static double progressOf(String id) {
    return Double.parseDouble(browser.driver.findElement(By.cssSelector("tr[data-task-id='" + id + "'] progress"))
      .getDomProperty("value"));
  }

  @Test
  void cancelFromThePageCancelsTheTask() throws Exception {
    openWithKey();
    browser.consoleErrors();
    create("browser-cancel", 60_000);
    WebElement cancel = browser.waiting(Duration.ofSeconds(5))
      .until(ExpectedConditions.elementToBeClickable(By.cssSelector("tr[data-task-id='browser-cancel'] button.cancel")));
    cancel.click();
    browser.waiting(Duration.ofSeconds(5)).until(ExpectedConditions.attributeToBe(row("browser-cancel"), "data-status", "cancelled"));
    HttpResponse<Buffer> r = LiveNode.await(node.http.get("/v1/tasks/browser-cancel").putHeader("Authorization", "Bearer " + KEY).send());
    assertEquals("cancelled", r.bodyAsJsonObject().getString("status"));
    assertEquals("Cancelled by request.", browser.driver.findElement(By.cssSelector("tr[data-task-id='browser-cancel'] .failure")).getText());
    browser.screenshot("dashboard-cancelled");
    // The cancelled task can now be deleted from the page: its row goes.
    browser.driver.findElement(By.cssSelector("tr[data-task-id='browser-cancel'] button.delete")).click();
    browser.waiting(Duration.ofSeconds(5)).until(ExpectedConditions.numberOfElementsToBe(row("browser-cancel"), 0));
    assertEquals(404, LiveNode.await(node.http.get("/v1/tasks/browser-cancel").putHeader("Authorization", "Bearer " + KEY).send())
      .statusCode());
    assertEquals(List.of(), browser.consoleErrors());
  }

  @Test
  void aDroppedFileIsProcessedAndASearchShowsResults() {
    openWithKey();
    browser.consoleErrors();
    // Drag and drop as the browser delivers it: a drop event whose DataTransfer holds the file.
    browser.driver.executeScript("""
      const text = arguments[0];
      const data = new DataTransfer();
      data.items.add(new File([text], 'bees.txt', { type: 'text/plain' }));
      const zone = document.getElementById('drop-zone');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      """, BEES);
    By row = By.cssSelector("#file-rows tr");
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.numberOfElementsToBeMoreThan(row, 0));
    browser.waiting(Duration.ofSeconds(60)).until(ExpectedConditions.attributeToBe(row, "data-status", "processed"));
    assertEquals("100", browser.driver.findElement(By.cssSelector("#file-rows tr progress")).getDomProperty("value"));
    browser.screenshot("dashboard-file-processed");
    browser.driver.findElement(By.cssSelector("#file-rows tr .segments-button")).click();
    browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector("#segments li"), 0));

    browser.driver.findElement(By.cssSelector("#file-rows tr input.pick")).click();
    browser.driver.findElement(By.id("store-name")).sendKeys("bees");
    browser.driver.findElement(By.id("store-create")).click();
    By store = By.cssSelector("#store-rows tr");
    browser.waiting(Duration.ofSeconds(60)).until(ExpectedConditions.attributeToBe(store, "data-status", "completed"));
    browser.driver.findElement(By.id("search-query")).sendKeys("how do insects survive the cold season\n");
    WebElement score = browser.waiting(Duration.ofSeconds(30))
      .until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#search-results .result .score")));
    double best = Double.parseDouble(score.getText());
    assertTrue(best > 0.2 && best <= 1.0, "score " + best);
    assertTrue(browser.driver.findElement(By.cssSelector("#search-results .result p")).getText().contains("cluster"));
    browser.screenshot("dashboard-search");
    browser.width(390, 844);
    Object overflow = browser.driver.executeScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth");
    assertEquals(0L, ((Number) overflow).longValue(), "no horizontal scrolling at 390 px");
    browser.screenshot("dashboard-files-390");
    assertEquals(List.of(), browser.consoleErrors());
  }

  @Test
  void timesAreShownInTheViewersTimeZone() throws Exception {
    String zone = "Pacific/Auckland";
    browser.driver.executeCdpCommand("Emulation.setTimezoneOverride", Map.of("timezoneId", zone));
    try {
      openWithKey();
      create("browser-zone", 0);
      WebElement created = browser.waiting(Duration.ofSeconds(5))
        .until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-task-id='browser-zone'] td[data-label='Created'] time")));
      assertEquals(zone, browser.driver.findElement(By.id("tz")).getText());
      ZonedDateTime local = Instant.parse(created.getDomAttribute("datetime")).atZone(ZoneId.of(zone));
      Matcher shown = Pattern.compile("(\\d{1,2}):(\\d{2}):(\\d{2})\\s*([AP]M)").matcher(created.getText());
      assertTrue(shown.find(), created.getText());
      int hour12 = local.getHour() % 12 == 0 ? 12 : local.getHour() % 12;
      assertEquals(hour12, Integer.parseInt(shown.group(1)), created.getText() + " for " + local);
      assertEquals(local.getHour() < 12 ? "AM" : "PM", shown.group(4));
      browser.screenshot("dashboard-auckland");
    } finally {
      browser.driver.executeCdpCommand("Emulation.setTimezoneOverride", Map.of("timezoneId", "")); // back to the system zone
    }
  }

  @Test
  void aWrongKeyIsRefused() {
    browser.width(1280, 900);
    browser.driver.get(base + "/dashboard/");
    browser.driver.executeScript("sessionStorage.clear()");
    browser.driver.navigate().refresh();
    WebElement input = browser.waiting(Duration.ofSeconds(10)).until(ExpectedConditions.visibilityOfElementLocated(By.id("key-input")));
    input.sendKeys("not-a-key\n");
    browser.waiting(Duration.ofSeconds(5)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("key-error"), "refused"));
    assertTrue(browser.driver.findElement(By.id("key-input")).isDisplayed(), "still asking for a key");
    assertTrue(!browser.driver.findElement(By.id("main")).isDisplayed(), "no task is shown");
    assertEquals(null, browser.driver.executeScript("return sessionStorage.getItem('tasks.apiKey')"));
    browser.screenshot("dashboard-wrong-key");
    browser.consoleErrors(); // the refused request is logged by the browser itself
  }
}
