/* Fault injection for tests: makes write(2) and pwrite(2) on chosen files fail, as a full or
 * failing disk would. Preloaded (LD_PRELOAD) into hopcap by the command-line tests, or linked
 * into a test executable, whose own definitions then take the place of the C library's.
 *
 * Control, read at start-up from the environment or set later with hopcap_fault_arm():
 *   HOPCAP_FAULT_PATH   only files whose path contains this text are affected (required)
 *   HOPCAP_FAULT_AFTER  writes to such files that still succeed before the failures (default 0)
 *   HOPCAP_FAULT_ERRNO  "ENOSPC" (default) or "EIO"
 * Every write after the first failure fails too, as on a disk that stays full or broken. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "write_fault.h"

static char fault_path[4096];
static long writes_left = -1; /* -1: disarmed */
static int fault_errno = ENOSPC;

void hopcap_fault_arm(const char* path_part, long successful_writes, int error_number) {
  snprintf(fault_path, sizeof fault_path, "%s", path_part);
  writes_left = successful_writes;
  fault_errno = error_number;
}

void hopcap_fault_disarm(void) { writes_left = -1; }

__attribute__((constructor)) static void read_environment(void) {
  const char* path = getenv("HOPCAP_FAULT_PATH");
  if (path == NULL || *path == '\0') return;
  const char* after = getenv("HOPCAP_FAULT_AFTER");
  const char* name = getenv("HOPCAP_FAULT_ERRNO");
  hopcap_fault_arm(path, after != NULL ? atol(after) : 0,
                   name != NULL && strcmp(name, "EIO") == 0 ? EIO : ENOSPC);
}

/* Whether this write to `fd` must fail; counts the writes to affected files. */
static int must_fail(int fd) {
  if (writes_left < 0) return 0;
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  if (strstr(target, fault_path) == NULL) return 0;
  if (writes_left > 0) {
    --writes_left;
    return 0;
  }
  return 1;
}

ssize_t write(int fd, const void* buffer, size_t count) {
  static ssize_t (*real)(int, const void*, size_t);
  if (real == NULL) real = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  if (must_fail(fd)) {
    errno = fault_errno;
    return -1;
  }
  return real(fd, buffer, count);
}

ssize_t pwrite(int fd, const void* buffer, size_t count, off_t offset) {
  static ssize_t (*real)(int, const void*, size_t, off_t);
  if (real == NULL) real = (ssize_t(*)(int, const void*, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
  if (must_fail(fd)) {
    errno = fault_errno;
    return -1;
  }
  return real(fd, buffer, count, offset);
}

ssize_t pwrite64(int fd, const void* buffer, size_t count, off_t offset) {
  return pwrite(fd, buffer, count, offset);
}
