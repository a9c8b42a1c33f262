//! Hand-written analytic gradients: the limit an autodiff tool can approach.

use crate::data::{Chain, Logreg, Mlp, Rosenbrock, SIZES};

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        z.exp() / (1.0 + z.exp())
    }
}

/// `∂J/∂w = (1/N)·Σ (σ(zᵢ) − yᵢ)·xᵢ`, `∂J/∂b = (1/N)·Σ (σ(zᵢ) − yᵢ)`.
pub fn logreg(w: &Logreg) -> Vec<f64> {
    let d = w.theta.len() - 1;
    let n = w.x.len() as f64;
    let mut g = vec![0.0; d + 1];
    for (row, &y) in w.x.iter().zip(&w.y) {
        let z = row
            .iter()
            .zip(&w.theta[..d])
            .fold(w.theta[d], |z, (x, w)| z + w * x);
        let r = (sigmoid(z) - y) / n;
        for (gj, xj) in g.iter_mut().zip(row) {
            *gj += r * xj;
        }
        g[d] += r;
    }
    g
}

/// `dy/dx = Π σ′` along the chain, `σ′ = s·(1 − s)` at each output `s`.
pub fn chain(c: &Chain) -> Vec<f64> {
    let (mut y, mut d) = (c.x, 1.0);
    for _ in 0..c.n {
        y = 1.0 / (1.0 + (-y).exp());
        d *= y * (1.0 - y);
    }
    vec![d]
}

/// One pass, each term's two partials added where they belong.
pub fn rosenbrock(r: &Rosenbrock) -> Vec<f64> {
    let x = &r.x;
    let mut g = vec![0.0; x.len()];
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * x[i] * a - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * a;
    }
    g
}

/// Backpropagation, written out.
pub fn mlp(m: &Mlp) -> Vec<f64> {
    let mut g = vec![0.0; m.theta.len()];
    let n = m.points.len() as f64;
    // Where each layer's parameters start in θ.
    let mut offsets = vec![0];
    for l in SIZES.windows(2) {
        offsets.push(offsets.last().unwrap() + (l[0] + 1) * l[1]);
    }
    for (p, &t) in m.points.iter().zip(&m.targets) {
        // Forward, keeping every layer's activations.
        let mut acts: Vec<Vec<f64>> = vec![p.to_vec()];
        for (k, l) in SIZES.windows(2).enumerate() {
            let params = &m.theta[offsets[k]..offsets[k + 1]];
            let a: Vec<f64> = params
                .chunks(l[0] + 1)
                .map(|row| {
                    let z = row[..l[0]]
                        .iter()
                        .zip(&acts[k])
                        .fold(row[l[0]], |z, (w, x)| z + w * x);
                    if k + 2 < SIZES.len() { z.tanh() } else { z }
                })
                .collect();
            acts.push(a);
        }
        // Backward: δ of the output, then through each layer.
        let mut delta = vec![2.0 * (acts[SIZES.len() - 1][0] - t) / n];
        for k in (0..SIZES.len() - 1).rev() {
            let (fan_in, fan_out) = (SIZES[k], SIZES[k + 1]);
            let params = &m.theta[offsets[k]..offsets[k + 1]];
            let grads = &mut g[offsets[k]..offsets[k + 1]];
            let mut below = vec![0.0; fan_in];
            for (j, &d) in delta.iter().enumerate().take(fan_out) {
                let row = j * (fan_in + 1);
                for i in 0..fan_in {
                    grads[row + i] += d * acts[k][i];
                    below[i] += d * params[row + i];
                }
                grads[row + fan_in] += d;
            }
            if k > 0 {
                // Through tanh: 1 − a².
                for (b, a) in below.iter_mut().zip(&acts[k]) {
                    *b *= 1.0 - a * a;
                }
            }
            delta = below;
        }
    }
    g
}
