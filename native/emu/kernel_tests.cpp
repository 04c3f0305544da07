// Every kernel of native/cuda, unmodified, run on the CPU under cuda_emu.h with the launch shapes the Java side
// uses (io.classwise.tensor.cuda.KernelModule: "elements" kernels with blocks of 256 and a grid of at most
// SMs × 32, "rows" kernels with one block of 128 per row), and compared with a plain C++ reference in double.
// Sizes are the awkward ones: one element, one row, rows × k from 1 × 1 to 4096 × 10, 1 × 100003, k = 65537,
// and few SMs so that grid-stride loops wrap. Invalid labels (NaN, −1, k, 2.5) must give NaN rows.
//
//   kernel_tests [--order forward|reverse|random] [--seed S] [--quick]
// exits non-zero and names the first failing case (cuda_emu itself aborts on a barrier or collective misuse).
#include "cuda_emu.h"
#include "../cuda/kernels.cu"

#include <array>
#include <functional>
#include <limits>
#include <map>

namespace {

int failures = 0, checks = 0;
bool quick = false;
std::mt19937_64 gen(12345);

std::vector<float> uniform(size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(gen);
    return v;
}

/** Launch shapes of KernelModule. */
template <class... P, class... A>
void elements(void (*k)(P...), int64_t n, A... a) {
    const int64_t maxGrid = std::max(1, cw_emu::config.multiprocessors) * 32;
    const int64_t blocks = std::max<int64_t>(1, std::min<int64_t>((n + 255) / 256, maxGrid));
    cw_emu::launchKernel(k, dim3((unsigned) blocks), dim3(256), a...);
}

template <class... P, class... A>
void rowsLaunch(void (*k)(P...), int64_t rows, A... a) {
    cw_emu::launchKernel(k, dim3((unsigned) std::max<int64_t>(1, rows)), dim3(128), a...);
}

bool close(double got, double want, double tol) {
    if (std::isnan(want)) return std::isnan(got);
    if (std::isinf(want)) return got == want;
    return std::fabs(got - want) <= tol * std::max(1.0, std::fabs(want));
}

template <class G, class W>
void expect(const std::string& what, const std::vector<G>& got, const std::vector<W>& want, double tol = 1e-5) {
    checks++;
    if (got.size() != want.size()) { std::fprintf(stderr, "FAIL %s: %zu values, expected %zu\n", what.c_str(), got.size(), want.size()); failures++; return; }
    for (size_t i = 0; i < got.size(); i++) {
        if (!close((double) got[i], (double) want[i], tol)) {
            std::fprintf(stderr, "FAIL %s: [%zu] = %.9g, expected %.9g\n", what.c_str(), i, (double) got[i], (double) want[i]);
            failures++;
            return;
        }
    }
}

std::string name(const char* k, std::initializer_list<int64_t> sizes) {
    std::string s = k;
    for (int64_t v : sizes) s += " " + std::to_string(v);
    return s;
}

std::vector<int64_t> elementSizes() { return quick ? std::vector<int64_t>{1, 257, 9000} : std::vector<int64_t>{1, 7, 256, 1000, 8193, 100003}; }

// ---- elementwise ----

void testElementwise() {
    for (int64_t n : elementSizes()) {
        auto x = uniform(n, -2, 2), y = uniform(n, -2, 2);
        std::vector<double> want(n);
        {
            std::vector<float> v = x;
            elements(cw_fill, n, v.data(), 0.25f, n);
            expect(name("cw_fill", {n}), v, std::vector<double>(n, 0.25));
        }
        {
            std::vector<float> v = y;
            elements(cw_axpy, n, -1.5f, x.data(), v.data(), n);
            for (int64_t i = 0; i < n; i++) want[i] = y[i] + -1.5 * x[i];
            expect(name("cw_axpy", {n}), v, want);
            v = x;
            elements(cw_scale, n, v.data(), 3.f, n);
            for (int64_t i = 0; i < n; i++) want[i] = 3.0 * x[i];
            expect(name("cw_scale", {n}), v, want);
            v = x;
            elements(cw_add, n, (const float*) v.data(), (const float*) y.data(), v.data(), n); // out aliases a
            for (int64_t i = 0; i < n; i++) want[i] = (double) x[i] + y[i];
            expect(name("cw_add aliased", {n}), v, want);
        }
        {
            std::vector<float> r(n), dx(n);
            elements(cw_relu, n, (const float*) x.data(), r.data(), n);
            for (int64_t i = 0; i < n; i++) want[i] = std::max(0.f, x[i]);
            expect(name("cw_relu", {n}), r, want);
            elements(cw_relu_backward, n, (const float*) r.data(), (const float*) y.data(), dx.data(), n);
            for (int64_t i = 0; i < n; i++) want[i] = r[i] > 0 ? y[i] : 0.0;
            expect(name("cw_relu_backward", {n}), dx, want);
            elements(cw_swish, n, (const float*) x.data(), r.data(), n);
            for (int64_t i = 0; i < n; i++) want[i] = x[i] / (1 + std::exp(-(double) x[i]));
            expect(name("cw_swish", {n}), r, want);
            elements(cw_swish_backward, n, (const float*) x.data(), (const float*) y.data(), dx.data(), n);
            for (int64_t i = 0; i < n; i++) {
                double s = 1 / (1 + std::exp(-(double) x[i]));
                want[i] = y[i] * s * (1 + x[i] * (1 - s));
            }
            expect(name("cw_swish_backward", {n}), dx, want);
        }
    }
}

void testPadding() {
    for (auto [planes, h, w, top, left, bottom, right] : std::vector<std::array<int64_t, 7>>{{1, 1, 1, 0, 0, 0, 0}, {3, 5, 7, 1, 2, 0, 1},
                                                                                              {70, 32, 32, 0, 0, 1, 1}}) {
        const int64_t hp = h + top + bottom, wp = w + left + right;
        auto x = uniform(planes * h * w, -1, 1), dy = uniform(planes * hp * wp, -1, 1);
        std::vector<float> y(planes * hp * wp), dx(planes * h * w);
        elements(cw_zero_pad2d, (int64_t) y.size(), (const float*) x.data(), y.data(), planes, h, w, hp, wp, top, left);
        std::vector<double> wy(y.size(), 0.0), wdx(dx.size());
        for (int64_t p = 0; p < planes; p++)
            for (int64_t r = 0; r < h; r++)
                for (int64_t c = 0; c < w; c++) {
                    wy[(p * hp + r + top) * wp + c + left] = x[(p * h + r) * w + c];
                    wdx[(p * h + r) * w + c] = dy[(p * hp + r + top) * wp + c + left];
                }
        expect(name("cw_zero_pad2d", {planes, h, w, top, left}), y, wy);
        elements(cw_zero_pad2d_backward, (int64_t) dx.size(), (const float*) dy.data(), dx.data(), planes, h, w, hp, wp, top, left);
        expect(name("cw_zero_pad2d_backward", {planes, h, w, top, left}), dx, wdx);
    }
}

void testRowsAndChannels() {
    for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 7}, {4096, 10}, {1, 100003}, {129, 65}}) {
        if (quick && rows * cols > 50000) continue;
        const int64_t n = rows * cols;
        auto x = uniform(n, -2, 2), bias = uniform(cols, -1, 1), scale = uniform(rows, -2, 2);
        std::vector<double> want(n);
        std::vector<float> y = x;
        elements(cw_add_row_vector, n, y.data(), (const float*) bias.data(), rows, cols);
        for (int64_t i = 0; i < n; i++) want[i] = (double) x[i] + bias[i % cols];
        expect(name("cw_add_row_vector", {rows, cols}), y, want);
        y = x;
        elements(cw_scale_rows, n, y.data(), (const float*) scale.data(), rows, cols);
        for (int64_t i = 0; i < n; i++) want[i] = (double) x[i] * scale[i / cols];
        expect(name("cw_scale_rows", {rows, cols}), y, want);
        // labels: valid ones, and one of each invalid kind (the kernel adds nothing there: no column equals it)
        std::vector<float> labels(rows);
        for (int64_t r = 0; r < rows; r++) labels[r] = (float) (r % cols);
        y.assign(n, 0.f);
        elements(cw_add_at_labels, n, (const float*) x.data(), (const float*) labels.data(), 0.5f, y.data(), rows, cols);
        for (int64_t i = 0; i < n; i++) want[i] = x[i] + ((i % cols) == (int64_t) labels[i / cols] ? 0.5 : 0.0);
        expect(name("cw_add_at_labels", {rows, cols}), y, want);
        std::vector<float> mask(rows), dst = uniform(n, 5, 6), src = x;
        for (int64_t r = 0; r < rows; r++) mask[r] = r % 3 == 0 ? 1.f : 0.f;
        std::vector<float> before = dst;
        elements(cw_copy_rows_where, n, (const float*) src.data(), dst.data(), (const float*) mask.data(), rows, cols);
        for (int64_t i = 0; i < n; i++) want[i] = mask[i / cols] != 0 ? src[i] : before[i];
        expect(name("cw_copy_rows_where", {rows, cols}), dst, want);
        std::vector<float> db = uniform(cols, -1, 1), db0 = db;
        elements(cw_sum_rows, cols, (const float*) x.data(), db.data(), rows, cols);
        std::vector<double> wdb(cols);
        for (int64_t j = 0; j < cols; j++) {
            double s = 0;
            for (int64_t r = 0; r < rows; r++) s += x[r * cols + j];
            wdb[j] = db0[j] + s;
        }
        expect(name("cw_sum_rows", {rows, cols}), db, wdb, 1e-4);
        // ℓ2 normalisation of rows, one block per row
        std::vector<float> yn(n), norms(rows), dy = uniform(n, -1, 1), dx(n);
        rowsLaunch(cw_l2_normalize_rows, rows, (const float*) x.data(), yn.data(), norms.data(), 1e-12f, rows, cols);
        std::vector<double> wn(rows), wyn(n), wdx(n);
        for (int64_t r = 0; r < rows; r++) {
            double s = 0;
            for (int64_t j = 0; j < cols; j++) s += (double) x[r * cols + j] * x[r * cols + j];
            wn[r] = std::max(std::sqrt(s), 1e-12);
            for (int64_t j = 0; j < cols; j++) wyn[r * cols + j] = x[r * cols + j] / wn[r];
        }
        expect(name("cw_l2_normalize_rows norms", {rows, cols}), norms, wn, 1e-4);
        expect(name("cw_l2_normalize_rows", {rows, cols}), yn, wyn, 1e-4);
        rowsLaunch(cw_l2_normalize_rows_backward, rows, (const float*) yn.data(), (const float*) norms.data(), (const float*) dy.data(),
                   dx.data(), rows, cols);
        for (int64_t r = 0; r < rows; r++) {
            double dot = 0;
            for (int64_t j = 0; j < cols; j++) dot += (double) dy[r * cols + j] * yn[r * cols + j];
            for (int64_t j = 0; j < cols; j++) wdx[r * cols + j] = (dy[r * cols + j] - yn[r * cols + j] * dot) / norms[r];
        }
        expect(name("cw_l2_normalize_rows_backward", {rows, cols}), dx, wdx, 1e-4);
    }
    for (auto [nb, c, hw] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {2, 3, 1024}, {5, 7, 9}}) {
        const int64_t n = nb * c * hw;
        auto x = uniform(n, 0, 1), mean = uniform(c, 0, 1), sd = uniform(c, 0.1f, 1), dy = uniform(n, -1, 1);
        std::vector<float> y(n), dx(n);
        std::vector<double> want(n), wdx(n);
        elements(cw_normalize_channels, n, (const float*) x.data(), (const float*) mean.data(), (const float*) sd.data(), y.data(), nb, c, hw);
        for (int64_t i = 0; i < n; i++) want[i] = (x[i] - (double) mean[(i / hw) % c]) / sd[(i / hw) % c];
        expect(name("cw_normalize_channels", {nb, c, hw}), y, want);
        elements(cw_normalize_channels_backward, n, (const float*) dy.data(), (const float*) sd.data(), dx.data(), nb, c, hw);
        for (int64_t i = 0; i < n; i++) wdx[i] = dy[i] / (double) sd[(i / hw) % c];
        expect(name("cw_normalize_channels_backward", {nb, c, hw}), dx, wdx);
        // batch norm in inference mode, backward; one block per channel
        auto gamma = uniform(c, 0.5f, 2), var = uniform(c, 0.1f, 2), dGamma = uniform(c, -1, 1), dBeta = uniform(c, -1, 1);
        auto dGamma0 = dGamma, dBeta0 = dBeta;
        rowsLaunch(cw_bn_inference_backward, c, (const float*) x.data(), (const float*) dy.data(), (const float*) gamma.data(),
                   (const float*) mean.data(), (const float*) var.data(), 1e-5f, dx.data(), dGamma.data(), dBeta.data(), nb, c, hw);
        std::vector<double> wg(c), wb(c);
        for (int64_t ch = 0; ch < c; ch++) {
            double inv = 1 / std::sqrt((double) var[ch] + 1e-5), sdy = 0, sdyx = 0;
            for (int64_t b = 0; b < nb; b++)
                for (int64_t p = 0; p < hw; p++) {
                    int64_t j = (b * c + ch) * hw + p;
                    wdx[j] = dy[j] * gamma[ch] * inv;
                    sdy += dy[j];
                    sdyx += dy[j] * (x[j] - (double) mean[ch]) * inv;
                }
            wg[ch] = dGamma0[ch] + sdyx;
            wb[ch] = dBeta0[ch] + sdy;
        }
        expect(name("cw_bn_inference_backward dx", {nb, c, hw}), dx, wdx, 1e-4);
        expect(name("cw_bn_inference_backward dGamma", {nb, c, hw}), dGamma, wg, 1e-4);
        expect(name("cw_bn_inference_backward dBeta", {nb, c, hw}), dBeta, wb, 1e-4);
    }
}

// ---- pooling ----

void testPooling() {
    struct P { int64_t planes, h, w, kernel, stride, pad; };
    for (P p : std::vector<P>{{1, 1, 1, 1, 1, 0}, {3, 28, 28, 2, 2, 0}, {2, 7, 5, 3, 2, 1}, {4, 8, 8, 3, 1, 1}, {70, 14, 14, 2, 2, 0}}) {
        const int64_t P_ = (p.h + 2 * p.pad - p.kernel) / p.stride + 1, Q = (p.w + 2 * p.pad - p.kernel) / p.stride + 1;
        const int64_t out = p.planes * P_ * Q, in = p.planes * p.h * p.w;
        auto x = uniform(in, -1, 1);
        for (int64_t i = 0; i < in; i += 5) x[i] = x[std::max<int64_t>(0, i - 1)]; // ties
        auto dy = uniform(out, -1, 1);
        for (int relu : {0, 1}) {
            std::vector<float> y(out), dx(in, 0.f);
            std::vector<double> wy(out), wdx(in, 0.0);
            for (int64_t c = 0; c < p.planes; c++)
                for (int64_t a = 0; a < P_; a++)
                    for (int64_t b = 0; b < Q; b++) {
                        int64_t arg = -1;
                        float m = 0;
                        for (int64_t r = 0; r < p.kernel; r++)
                            for (int64_t t = 0; t < p.kernel; t++) {
                                int64_t ih = a * p.stride - p.pad + r, iw = b * p.stride - p.pad + t;
                                if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
                                float v = x[(c * p.h + ih) * p.w + iw];
                                if (arg < 0 || v > m) { m = v; arg = (c * p.h + ih) * p.w + iw; }
                            }
                        int64_t o = (c * P_ + a) * Q + b;
                        wy[o] = relu ? std::max(0.f, m) : m;
                        if (!relu || m > 0) wdx[arg] += dy[o];
                    }
            elements(cw_max_pool_forward, out, (const float*) x.data(), y.data(), p.planes, p.h, p.w, p.kernel, p.stride, p.pad, relu);
            expect(name("cw_max_pool_forward", {p.planes, p.h, p.w, p.kernel, p.stride, p.pad, relu}), y, wy);
            elements(cw_max_pool_backward, out, (const float*) x.data(), (const float*) dy.data(), dx.data(), p.planes, p.h, p.w, p.kernel,
                     p.stride, p.pad, relu);
            expect(name("cw_max_pool_backward", {p.planes, p.h, p.w, p.kernel, p.stride, p.pad, relu}), dx, wdx);
        }
        std::vector<float> y(out), dx(in);
        std::vector<double> wy(out, 0.0), wdx(in, 0.0);
        const double area = (double) (p.kernel * p.kernel);
        for (int64_t c = 0; c < p.planes; c++)
            for (int64_t a = 0; a < P_; a++)
                for (int64_t b = 0; b < Q; b++)
                    for (int64_t r = 0; r < p.kernel; r++)
                        for (int64_t t = 0; t < p.kernel; t++) {
                            int64_t ih = a * p.stride - p.pad + r, iw = b * p.stride - p.pad + t;
                            if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
                            wy[(c * P_ + a) * Q + b] += x[(c * p.h + ih) * p.w + iw] / area;
                            wdx[(c * p.h + ih) * p.w + iw] += dy[(c * P_ + a) * Q + b] / area;
                        }
        elements(cw_avg_pool_forward, out, (const float*) x.data(), y.data(), p.planes, p.h, p.w, p.kernel, p.stride, p.pad);
        expect(name("cw_avg_pool_forward", {p.planes, p.h, p.w, p.kernel, p.stride, p.pad}), y, wy);
        elements(cw_avg_pool_backward, in, (const float*) dy.data(), dx.data(), p.planes, p.h, p.w, p.kernel, p.stride, p.pad);
        expect(name("cw_avg_pool_backward", {p.planes, p.h, p.w, p.kernel, p.stride, p.pad}), dx, wdx);
    }
}

// ---- losses ----

/** Labels for rows: valid, with the invalid kinds (NaN, −1, k, 2.5) in rows 1..4 when there are enough rows. */
std::vector<float> labelsFor(int64_t rows, int64_t k, bool invalid) {
    std::vector<float> l(rows);
    for (int64_t r = 0; r < rows; r++) l[r] = (float) ((r * 7) % k);
    if (invalid && rows >= 5) { l[1] = NAN; l[2] = -1; l[3] = (float) k; l[4] = 2.5f; }
    return l;
}

int64_t labelOf(float v, int64_t k) { return v >= 0 && v < (float) k && v == std::floor(v) ? (int64_t) v : -1; }

/** The largest other class than the label y in row r (the first on ties); −1 when y is invalid or there is no other class. */
int64_t bestOther(const std::vector<float>& z, int64_t r, int64_t k, int64_t y) {
    if (y < 0) return -1;
    int64_t m = -1;
    for (int64_t j = 0; j < k; j++) if (j != y && (m < 0 || z[r * k + j] > z[r * k + m])) m = j;
    return m;
}

/** What a kernel writes for a row it cannot compute: NaN loss and gradient. */
void nanRow(std::vector<double>& loss, std::vector<double>& grad, int64_t r, int64_t k) {
    loss[r] = NAN;
    for (int64_t j = 0; j < k; j++) grad[r * k + j] = NAN;
}

std::vector<std::pair<int64_t, int64_t>> lossShapes() {
    if (quick) return {{1, 1}, {6, 10}, {3, 300}};
    return {{1, 1}, {1, 2}, {5, 3}, {6, 10}, {4096, 10}, {1, 100003}, {2, 65537}, {33, 100}};
}

void testLosses() {
    for (auto [rows, k] : lossShapes()) {
        const int64_t n = rows * k;
        auto z = uniform(n, -4, 4);
        // Ties at the maximum: the first index must win, within a warp (row 0: columns 0 and 1) and across warps and
        // threads (row 1: the first and the last column).
        if (k >= 2) z[0] = z[1] = 5.f;
        if (k >= 2 && rows >= 2) z[k] = z[2 * k - 1] = 5.f;
        auto labels = labelsFor(rows, k, true);
        std::vector<float> loss(rows), d(n), probs(n);
        std::vector<double> wl(rows), wd(n), wp(n);
        // log-softmax of a row at temperature T, in double
        auto lsm = [&](const std::vector<float>& v, int64_t r, double T) {
            std::vector<double> out(k);
            double m = -INFINITY;
            for (int64_t j = 0; j < k; j++) m = std::max(m, v[r * k + j] / T);
            double s = 0;
            for (int64_t j = 0; j < k; j++) s += std::exp(v[r * k + j] / T - m);
            for (int64_t j = 0; j < k; j++) out[j] = v[r * k + j] / T - m - std::log(s);
            return out;
        };
        for (float T : {1.f, 5.f}) {
            rowsLaunch(cw_softmax_cross_entropy, rows, (const float*) z.data(), (const float*) labels.data(), T, loss.data(), d.data(), 0.5f, rows, k);
            for (int64_t r = 0; r < rows; r++) {
                int64_t y = labelOf(labels[r], k);
                auto ls = lsm(z, r, T);
                wl[r] = y < 0 ? NAN : -ls[y];
                for (int64_t j = 0; j < k; j++) wd[r * k + j] = y < 0 ? NAN : 0.5 * (std::exp(ls[j]) - (j == y)) / T;
            }
            expect(name("cw_softmax_cross_entropy loss T", {rows, k, (int64_t) T}), loss, wl, 1e-4);
            expect(name("cw_softmax_cross_entropy dLogits T", {rows, k, (int64_t) T}), d, wd, 1e-4);
            rowsLaunch(cw_softmax, rows, (const float*) z.data(), T, probs.data(), rows, k);
            for (int64_t r = 0; r < rows; r++) {
                auto ls = lsm(z, r, T);
                for (int64_t j = 0; j < k; j++) wp[r * k + j] = std::exp(ls[j]);
            }
            expect(name("cw_softmax T", {rows, k, (int64_t) T}), probs, wp, 1e-4);
        }
        {
            auto q = uniform(n, -4, 4);
            std::vector<float> dp(n), dq(n);
            std::vector<double> wdp(n), wdq(n);
            rowsLaunch(cw_kl_divergence, rows, (const float*) z.data(), (const float*) q.data(), loss.data(), dp.data(), dq.data(), 2.f, rows, k);
            for (int64_t r = 0; r < rows; r++) {
                auto lp = lsm(z, r, 1), lq = lsm(q, r, 1);
                double kl = 0;
                for (int64_t j = 0; j < k; j++) kl += std::exp(lp[j]) * (lp[j] - lq[j]);
                wl[r] = kl;
                for (int64_t j = 0; j < k; j++) {
                    wdq[r * k + j] = 2 * (std::exp(lq[j]) - std::exp(lp[j]));
                    wdp[r * k + j] = 2 * std::exp(lp[j]) * (lp[j] - lq[j] - kl);
                }
            }
            expect(name("cw_kl_divergence loss", {rows, k}), loss, wl, 2e-4);
            expect(name("cw_kl_divergence dP", {rows, k}), dp, wdp, 2e-4);
            expect(name("cw_kl_divergence dQ", {rows, k}), dq, wdq, 2e-4);
        }
        {
            // MART's boosted CE and the CW margin need a class other than the label: with k = 1 every row is NaN.
            rowsLaunch(cw_boosted_cross_entropy, rows, (const float*) z.data(), (const float*) labels.data(), loss.data(), d.data(), 1.f, rows, k);
            for (int64_t r = 0; r < rows; r++) {
                int64_t y = labelOf(labels[r], k), m = bestOther(z, r, k, y);
                if (m < 0) { nanRow(wl, wd, r, k); continue; }
                auto ls = lsm(z, r, 1);
                double pm = std::exp(ls[m]), one = 1.0001 - pm;
                wl[r] = -ls[y] - std::log(one);
                for (int64_t j = 0; j < k; j++) {
                    double pj = std::exp(ls[j]);
                    wd[r * k + j] = (pj - (j == y)) + pm * ((j == m) - pj) / one;
                }
            }
            expect(name("cw_boosted_cross_entropy loss", {rows, k}), loss, wl, 2e-4);
            expect(name("cw_boosted_cross_entropy dLogits", {rows, k}), d, wd, 2e-4);
            for (float kappa : {0.5f, INFINITY}) {
                rowsLaunch(cw_margin_loss, rows, (const float*) z.data(), (const float*) labels.data(), kappa, loss.data(), d.data(), 1.f, rows, k);
                for (int64_t r = 0; r < rows; r++) {
                    int64_t y = labelOf(labels[r], k), m = bestOther(z, r, k, y);
                    if (m < 0) { nanRow(wl, wd, r, k); continue; }
                    double margin = (double) z[r * k + m] - z[r * k + y];
                    bool clamped = margin >= kappa;
                    wl[r] = clamped ? kappa : margin;
                    for (int64_t j = 0; j < k; j++) wd[r * k + j] = clamped ? 0.0 : (j == m ? 1.0 : j == y ? -1.0 : 0.0);
                }
                expect(name("cw_margin_loss loss kappa", {rows, k, std::isinf(kappa) ? -1 : 1}), loss, wl);
                expect(name("cw_margin_loss dLogits kappa", {rows, k, std::isinf(kappa) ? -1 : 1}), d, wd);
            }
        }
        {
            std::vector<int> out(rows);
            rowsLaunch(cw_argmax_rows, rows, (const float*) z.data(), out.data(), rows, k);
            std::vector<int> want(rows);
            for (int64_t r = 0; r < rows; r++) {
                int64_t m = 0;
                for (int64_t j = 1; j < k; j++) if (z[r * k + j] > z[r * k + m]) m = j;
                want[r] = (int) m;
            }
            expect(name("cw_argmax_rows", {rows, k}), out, want, 0);
        }
        if (k >= 3) {
            elements(cw_dlr_loss, rows, (const float*) z.data(), (const float*) labels.data(), loss.data(), d.data(), 1.f, rows, k);
            for (int64_t r = 0; r < rows; r++) {
                int64_t y = labelOf(labels[r], k);
                if (y < 0) {
                    wl[r] = NAN;
                    for (int64_t j = 0; j < k; j++) wd[r * k + j] = NAN;
                    continue;
                }
                std::vector<int64_t> idx(k);
                for (int64_t j = 0; j < k; j++) idx[j] = j;
                std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return z[r * k + a] > z[r * k + b]; });
                int64_t m = -1;
                for (int64_t j = 0; j < k; j++) if (j != y && (m < 0 || z[r * k + j] > z[r * k + m])) m = j;
                double a = (double) z[r * k + y] - z[r * k + m], den = (double) z[r * k + idx[0]] - z[r * k + idx[2]] + 1e-12;
                wl[r] = -a / den;
                for (int64_t j = 0; j < k; j++) wd[r * k + j] = 0;
                wd[r * k + y] += -1 / den;
                wd[r * k + m] += 1 / den;
                wd[r * k + idx[0]] += a / (den * den);
                wd[r * k + idx[2]] -= a / (den * den);
            }
            expect(name("cw_dlr_loss loss", {rows, k}), loss, wl, 1e-4);
            expect(name("cw_dlr_loss dLogits", {rows, k}), d, wd, 1e-3);
        }
    }
}

// ---- attacks, optimizer, per-class counts ----

double clampd(double v, double lo, double hi) { return std::min(std::max(v, lo), hi); }

void testAttacks() {
    for (auto [rows, rowSize] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 784}, {130, 3072}, {1, 100003}}) {
        if (quick && rows * rowSize > 50000) continue;
        const int64_t n = rows * rowSize;
        auto xNat = uniform(n, 0, 1), g = uniform(n, -1, 1), stepRow = uniform(rows, 0.001f, 0.05f), epsRow = uniform(rows, 0.01f, 0.1f);
        for (int64_t i = 0; i < n; i += 11) g[i] = 0.f; // sign(0) = 0
        std::vector<float> start(n);
        for (int64_t i = 0; i < n; i++) start[i] = (float) clampd(xNat[i] + (i % 3 - 1) * 0.03, 0, 1);
        std::vector<double> want(n);
        auto sgn = [](float v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; };
        std::vector<float> a = start;
        elements(cw_linf_pgd_step, n, a.data(), (const float*) g.data(), (const float*) xNat.data(), 0.02f, 0.031f, n);
        for (int64_t i = 0; i < n; i++) want[i] = clampd(clampd(start[i] + 0.02f * sgn(g[i]), xNat[i] - 0.031f, xNat[i] + 0.031f), 0, 1);
        expect(name("cw_linf_pgd_step", {rows, rowSize}), a, want, 1e-6);
        a = start;
        elements(cw_linf_pgd_step_per_row, n, a.data(), (const float*) g.data(), (const float*) xNat.data(), (const float*) stepRow.data(), 0.031f,
                 n, rowSize);
        for (int64_t i = 0; i < n; i++)
            want[i] = clampd(clampd(start[i] + stepRow[i / rowSize] * sgn(g[i]), xNat[i] - 0.031f, xNat[i] + 0.031f), 0, 1);
        expect(name("cw_linf_pgd_step_per_row", {rows, rowSize}), a, want, 1e-6);
        a = start;
        elements(cw_linf_pgd_step_rows, n, a.data(), (const float*) g.data(), (const float*) xNat.data(), (const float*) stepRow.data(),
                 (const float*) epsRow.data(), n, rowSize);
        for (int64_t i = 0; i < n; i++) {
            float e = epsRow[i / rowSize];
            want[i] = clampd(clampd(start[i] + stepRow[i / rowSize] * sgn(g[i]), xNat[i] - e, xNat[i] + e), 0, 1);
        }
        expect(name("cw_linf_pgd_step_rows", {rows, rowSize}), a, want, 1e-6);
        a = start;
        rowsLaunch(cw_l2_pgd_step, rows, a.data(), (const float*) g.data(), (const float*) xNat.data(), 0.5f, 1.0f, rows, rowSize);
        for (int64_t r = 0; r < rows; r++) {
            double gn = 0;
            for (int64_t j = 0; j < rowSize; j++) gn += (double) g[r * rowSize + j] * g[r * rowSize + j];
            double scale = gn > 0 ? 0.5 / std::sqrt(gn) : 0, dn = 0;
            for (int64_t j = 0; j < rowSize; j++) {
                double d = start[r * rowSize + j] + scale * g[r * rowSize + j] - xNat[r * rowSize + j];
                dn += d * d;
            }
            double shrink = std::sqrt(dn) > 1.0 ? 1.0 / std::sqrt(dn) : 1.0;
            for (int64_t j = 0; j < rowSize; j++) {
                int64_t i = r * rowSize + j;
                want[i] = clampd(xNat[i] + (start[i] + scale * g[i] - xNat[i]) * shrink, 0, 1);
            }
        }
        expect(name("cw_l2_pgd_step", {rows, rowSize}), a, want, 1e-4);
        std::vector<float> buf = uniform(n, -1, 1), buf0 = buf;
        rowsLaunch(cw_momentum_accumulate, rows, (const float*) g.data(), buf.data(), 0.9f, rows, rowSize);
        for (int64_t r = 0; r < rows; r++) {
            double l1 = 0;
            for (int64_t j = 0; j < rowSize; j++) l1 += std::fabs(g[r * rowSize + j]);
            for (int64_t j = 0; j < rowSize; j++) want[r * rowSize + j] = 0.9 * buf0[r * rowSize + j] + (l1 > 0 ? g[r * rowSize + j] / l1 : 0);
        }
        expect(name("cw_momentum_accumulate", {rows, rowSize}), buf, want, 1e-4);
    }
}

void testOptimizer() {
    for (int64_t n : elementSizes()) {
        auto p0 = uniform(n, -1, 1), g = uniform(n, -1, 1), b0 = uniform(n, -1, 1);
        for (int nesterov : {0, 1})
            for (int first : {0, 1})
                for (float momentum : {0.f, 0.9f}) {
                    std::vector<float> p = p0, b = b0;
                    elements(cw_sgd_step, n, p.data(), (const float*) g.data(), b.data(), 0.1f, momentum, 0.1f, 5e-4f, nesterov, first, n);
                    std::vector<double> wp(n), wb(n);
                    for (int64_t i = 0; i < n; i++) {
                        double d = g[i] + 5e-4 * p0[i], bb = b0[i];
                        if (momentum != 0) {
                            bb = first ? d : momentum * b0[i] + (1 - 0.1) * d;
                            d = nesterov ? d + momentum * bb : bb;
                        }
                        wp[i] = p0[i] - 0.1 * d;
                        wb[i] = bb;
                    }
                    expect(name("cw_sgd_step param", {n, nesterov, first, (int64_t) (momentum * 10)}), p, wp);
                    expect(name("cw_sgd_step momentum", {n, nesterov, first, (int64_t) (momentum * 10)}), b, wb);
                }
    }
}

void testClassCounts() {
    for (auto [n, k] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {10, 10}, {100003, 10}, {5000, 100}}) {
        if (quick && n > 20000) continue;
        auto labels = labelsFor(n, k, true);
        std::vector<int> pred(n);
        for (int64_t i = 0; i < n; i++) pred[i] = (int) ((i * 13 + i / 7) % (k + 1)) - (i % 97 == 0 ? (int) k + 5 : 0); // some out of range
        std::vector<int> correct(k, 0), total(k, 0), flips(k * k, 0);
        elements(cw_class_counts, n, (const int*) pred.data(), (const float*) labels.data(), correct.data(), total.data(), k, n);
        elements(cw_flip_matrix, n, (const int*) pred.data(), (const float*) labels.data(), flips.data(), k, n);
        std::vector<int> wc(k, 0), wt(k, 0), wf(k * k, 0);
        for (int64_t i = 0; i < n; i++) {
            int64_t y = labelOf(labels[i], k);
            if (y < 0) continue;
            wt[y]++;
            if (pred[i] == y) wc[y]++;
            if (pred[i] >= 0 && pred[i] < k) wf[y * k + pred[i]]++;
        }
        expect(name("cw_class_counts correct", {n, k}), correct, wc, 0);
        expect(name("cw_class_counts total", {n, k}), total, wt, 0);
        expect(name("cw_flip_matrix", {n, k}), flips, wf, 0);
    }
}

} // namespace

int main(int argc, char** argv) {
    std::string order = "forward";
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--order" && i + 1 < argc) order = argv[++i];
        else if (a == "--seed" && i + 1 < argc) cw_emu::config.seed = std::stoull(argv[++i]);
        else if (a == "--quick") quick = true;
        else if (a == "--sms" && i + 1 < argc) cw_emu::config.multiprocessors = std::stoi(argv[++i]);
        else { std::fprintf(stderr, "usage: %s [--order forward|reverse|random] [--seed S] [--sms N] [--quick]\n", argv[0]); return 2; }
    }
    cw_emu::config.order = order == "reverse" ? cw_emu::Order::REVERSE : order == "random" ? cw_emu::Order::RANDOM : cw_emu::Order::FORWARD;
    // Few SMs: a grid of at most 32 blocks, so every grid-stride loop past 8,192 elements wraps.
    if (cw_emu::config.multiprocessors == 132) cw_emu::config.multiprocessors = 1;
    testElementwise();
    testPadding();
    testRowsAndChannels();
    testPooling();
    testLosses();
    testAttacks();
    testOptimizer();
    testClassCounts();
    std::printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
