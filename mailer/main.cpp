// checker-mailer: placeholder entry point; the real program arrives with its issue
// (see docs/architecture.md). Exits 100 ("bad usage", not to be retried)
// so a supervisor that starts it early does not respawn it in a loop.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::puts("checker-mailer " CHECKER_VERSION);
    return 0;
  }
  std::fprintf(stderr, "checker-mailer: not implemented yet\n");
  return 100;
}
