/* The baseline of the per-run benchmark: the cheapest possible child. */
int main(void) { return 0; }
