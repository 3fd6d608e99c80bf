package dev.forge.tasks.support;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Drops the databases a test class created once it is done, after its own {@code @AfterAll} closed
 * what used them. Registered for every test class (META-INF/services, with extension autodetection
 * on in junit-platform.properties).
 */
public final class DropDatabases implements AfterAllCallback {

  @Override
  public void afterAll(ExtensionContext context) {
    boolean topLevel = context.getParent().map(engine -> engine.getParent().isEmpty()).orElse(true);
    if (topLevel) {
      TestDatabase.dropCreated();
    }
  }
}
