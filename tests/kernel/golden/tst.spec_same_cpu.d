/*
 * nspec=1: committing on the one CPU that speculated frees the buffer at once
 * (the next speculation() gets it again); while it is active, other
 * speculation() calls fail ("no speculative buffer available" on stderr).
 */
#pragma D option quiet
#pragma D option nspec=1
BEGIN { a = speculation(); printf("first %d\n", a); }
BEGIN { speculate(a); printf("speculative\n"); }
BEGIN { commit(a); }
BEGIN { b = speculation(); printf("second %d\n", b); }
BEGIN { c = speculation(); printf("third %d\n", c); }
tick-1s { d = speculation(); printf("later %d\n", d); }
tick-1s { discard(b); }
tick-1s { e = speculation(); printf("after discard %d\n", e); exit(0);}
