//! The MLP in the tensor crates autograd and candle: each layer one batched
//! matrix product over the 100 points, `tanh(X·W + b)`, as those crates are
//! meant to be used. The parameters are set once; each call builds the
//! graph and takes the gradient, which comes back in θ's layout (each unit's
//! weights, then its bias) to be checked against the hand-written one.

use autograd as ag;
use autograd::prelude::*;
use autograd::tensor_ops as ops;
use candle_core::{Device, Tensor};

use crate::Row;
use crate::data::{Mlp, SIZES};

/// Each layer's weights (fan-in × fan-out, row-major) and biases, from θ.
fn layers(theta: &[f64]) -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut rest = theta;
    SIZES
        .windows(2)
        .map(|l| {
            let (params, tail) = rest.split_at((l[0] + 1) * l[1]);
            rest = tail;
            let (fan_in, fan_out) = (l[0], l[1]);
            let mut w = vec![0.0; fan_in * fan_out];
            for (j, row) in params.chunks(fan_in + 1).enumerate() {
                for i in 0..fan_in {
                    w[i * fan_out + j] = row[i];
                }
            }
            let b = params.chunks(fan_in + 1).map(|row| row[fan_in]).collect();
            (w, b)
        })
        .collect()
}

/// θ's layout from each layer's weight and bias gradients.
fn to_theta(grads: &[(Vec<f64>, Vec<f64>)]) -> Vec<f64> {
    let mut theta = Vec::new();
    for (l, (gw, gb)) in SIZES.windows(2).zip(grads) {
        for j in 0..l[1] {
            theta.extend((0..l[0]).map(|i| gw[i * l[1] + j]));
            theta.push(gb[j]);
        }
    }
    theta
}

fn points(m: &Mlp) -> Vec<f64> {
    m.points.iter().flatten().copied().collect()
}

pub fn rows(m: &Mlp) -> Vec<Row<'_>> {
    vec![
        Row::new("autograd", autograd_mlp(m)),
        Row::new("candle", candle_mlp(m)),
    ]
}

fn autograd_mlp(m: &Mlp) -> impl FnMut() -> Vec<f64> + '_ {
    let n = m.points.len();
    let mut env = ag::VariableEnvironment::<f64>::new();
    let ids: Vec<_> = layers(&m.theta)
        .into_iter()
        .zip(SIZES.windows(2))
        .map(|((w, b), l)| {
            let w = ag::ndarray::Array::from_shape_vec((l[0], l[1]), w).expect("shape");
            let b = ag::ndarray::Array::from_shape_vec((1, l[1]), b).expect("shape");
            (env.set(w), env.set(b))
        })
        .collect();
    let x = ag::ndarray::Array::from_shape_vec((n, SIZES[0]), points(m)).expect("shape");
    let t = ag::ndarray::Array::from_shape_vec((n, 1), m.targets.clone()).expect("shape");
    move || {
        env.run(|ctx| {
            let params: Vec<_> = ids
                .iter()
                .flat_map(|&(w, b)| [ctx.variable(w), ctx.variable(b)])
                .collect();
            let mut a = ops::convert_to_tensor(x.clone(), ctx);
            for (k, wb) in params.chunks(2).enumerate() {
                let z = ops::matmul(a, wb[0]) + wb[1];
                a = if k + 2 < SIZES.len() { ops::tanh(z) } else { z };
            }
            let loss = ops::mean_all(ops::square(a - ops::convert_to_tensor(t.clone(), ctx)));
            let grads = ops::grad(&[loss], &params);
            let values = ctx.evaluator().extend(&grads).run();
            let values: Vec<Vec<f64>> = values
                .into_iter()
                .map(|g| g.expect("autograd's gradient").iter().copied().collect())
                .collect();
            let pairs: Vec<_> = values
                .chunks(2)
                .map(|g| (g[0].clone(), g[1].clone()))
                .collect();
            to_theta(&pairs)
        })
    }
}

fn candle_mlp(m: &Mlp) -> impl FnMut() -> Vec<f64> + '_ {
    let n = m.points.len();
    let cpu = Device::Cpu;
    let params: Vec<(candle_core::Var, candle_core::Var)> = layers(&m.theta)
        .into_iter()
        .zip(SIZES.windows(2))
        .map(|((w, b), l)| {
            let w = candle_core::Var::from_slice(&w, (l[0], l[1]), &cpu).expect("weights");
            let b = candle_core::Var::from_slice(&b, (1, l[1]), &cpu).expect("biases");
            (w, b)
        })
        .collect();
    let x = Tensor::from_slice(&points(m), (n, SIZES[0]), &cpu).expect("points");
    let t = Tensor::from_slice(&m.targets, (n, 1), &cpu).expect("targets");
    move || {
        let gradient = || -> candle_core::Result<Vec<f64>> {
            let mut a = x.clone();
            for (k, (w, b)) in params.iter().enumerate() {
                let z = a.matmul(w)?.broadcast_add(b)?;
                a = if k + 2 < SIZES.len() { z.tanh()? } else { z };
            }
            let loss = (a - &t)?.sqr()?.mean_all()?;
            let store = loss.backward()?;
            let flat = |v: &Tensor| -> candle_core::Result<Vec<f64>> {
                store.get(v).expect("a gradient").flatten_all()?.to_vec1()
            };
            let pairs = params
                .iter()
                .map(|(w, b)| Ok((flat(w)?, flat(b)?)))
                .collect::<candle_core::Result<Vec<_>>>()?;
            Ok(to_theta(&pairs))
        };
        gradient().expect("candle's gradient")
    }
}
