/* The libm calls a W2/W5 step cannot skip, timed alone: the logistic
 * output's exp and the log loss's log (or log1p) for each of a batch's 32
 * rows, as the compiled epoch makes them (the package's flags, the same
 * clipping). Prints microseconds per step, the best of 7 runs.
 * Built and run by run.py: cc -O3 -fno-math-errno -ffp-contract=off. */
#include <math.h>
#include <stdio.h>
#include <time.h>

#define BATCH 32
#define STEPS 200000

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void) {
    double z[BATCH], y[BATCH], best = 1e30, sink = 0;
    unsigned state = 12345;
    for (int i = 0; i < BATCH; i++) {  /* logits in [-4, 4), labels 0/1 */
        state = state * 1103515245u + 12345u;
        z[i] = ((state >> 8) / 16777216.0 - 0.5) * 8;
        y[i] = i % 2;
    }
    for (int run = 0; run < 7; run++) {
        double start = now(), total = 0;
        for (int s = 0; s < STEPS; s++) {
            for (int i = 0; i < BATCH; i++) {
                double p = 1 / (1 + exp(-z[i]));
                double q = fmin(fmax(p, 2.220446049250313e-16), 1 - 2.220446049250313e-16);
                total += y[i] == 1 ? log(q) : log1p(-q);
            }
            z[s % BATCH] += 1e-12;  /* a new step: nothing to hoist */
        }
        double elapsed = (now() - start) / STEPS;
        best = elapsed < best ? elapsed : best;
        sink += total;
    }
    printf("%.6f %g\n", 1e6 * best, sink);
    return 0;
}
