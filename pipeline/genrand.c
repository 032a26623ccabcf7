#include "pipeline/genrand.h"

#include <math.h>

static uint64_t
gen_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
gen_splitmix(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void
gen_seed(struct gen_rng *g, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		g->s[i] = gen_splitmix(&seed);
}

uint64_t
gen_next(struct gen_rng *g)
{
	uint64_t *s = g->s;
	uint64_t result = gen_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = gen_rotl(s[3], 45);
	return result;
}

double
gen_uniform(struct gen_rng *g)
{
	return (double)(gen_next(g) >> 11) * 0x1p-53;
}

uint64_t
gen_below(struct gen_rng *g, uint64_t n)
{
	uint64_t x = (uint64_t)(gen_uniform(g) * (double)n);

	return x < n ? x : n - 1;
}

double
gen_exponential(struct gen_rng *g, double mean)
{
	return -log1p(-gen_uniform(g)) * mean;
}

double
gen_normal(struct gen_rng *g)
{
	double u, v, s;

	do {
		u = 2.0 * gen_uniform(g) - 1.0;
		v = 2.0 * gen_uniform(g) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * log(s) / s);
}

double
gen_gamma(struct gen_rng *g, double shape, double scale)
{
	double d, c, x, v, u;

	if (shape < 1.0)
		return gen_gamma(g, shape + 1.0, scale) *
		    pow(1.0 - gen_uniform(g), 1.0 / shape);
	d = shape - 1.0 / 3.0;
	c = 1.0 / sqrt(9.0 * d);
	for (;;) {
		do {
			x = gen_normal(g);
			v = 1.0 + c * x;
		} while (v <= 0.0);
		v = v * v * v;
		u = gen_uniform(g);
		if (u < 1.0 - 0.0331 * x * x * x * x ||
		    log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
			return d * v * scale;
	}
}

uint64_t
gen_geometric(struct gen_rng *g, double p)
{
	double u = 1.0 - gen_uniform(g);

	if (p >= 1.0)
		return 0;
	return (uint64_t)floor(log(u) / log1p(-p));
}
