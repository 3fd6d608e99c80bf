package dev.forge.tasks.vector;

import dev.forge.tasks.bus.ApiError;

/** The vector store's own failures, in the error shape of API.md. */
public final class VectorStoreErrors {

  private VectorStoreErrors() {
  }

  public static ApiError notFound(String id) {
    return new ApiError(404, "vector_store_not_found", "No vector store with id '" + ApiError.printable(id) + "'.", null);
  }

  static ApiError segmentsGone(String fileId) {
    return new ApiError(404, "file_not_found", "The segments of file '" + ApiError.printable(fileId)
      + "' are gone (the file was deleted or is being processed again).", null);
  }
}
