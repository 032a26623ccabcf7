/*
 * The random numbers of `churn generate`: xoshiro256** (Blackman and
 * Vigna, 2018) seeded through SplitMix64, and the distributions built on
 * it. The same seed gives the same numbers on every host, so the same
 * command writes the same bytes.
 */
#ifndef WK_PIPELINE_GENRAND_H
#define WK_PIPELINE_GENRAND_H

#include <stdint.h>

struct gen_rng {
	uint64_t s[4];  /* xoshiro256** state, never all zero */
};

/* Seeds the generator from seed (any value). */
void gen_seed(struct gen_rng *g, uint64_t seed);

/* Returns the next 64 random bits. */
uint64_t gen_next(struct gen_rng *g);

/* Returns a uniform number in [0, 1). */
double gen_uniform(struct gen_rng *g);

/* Returns a uniform integer in [0, n), 0 < n <= 2^53. */
uint64_t gen_below(struct gen_rng *g, uint64_t n);

/* Returns an exponential number with the given mean. */
double gen_exponential(struct gen_rng *g, double mean);

/* Returns a standard normal number (Marsaglia's polar method). */
double gen_normal(struct gen_rng *g);

/*
 * Returns a gamma number of the shape (> 0) and scale (Marsaglia and
 * Tsang's method; a shape below 1 is boosted by U^(1/shape)).
 */
double gen_gamma(struct gen_rng *g, double shape, double scale);

/* Returns the number of failures before a success of probability p. */
uint64_t gen_geometric(struct gen_rng *g, double p);

#endif
