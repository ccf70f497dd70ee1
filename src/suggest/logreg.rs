//! Class-weighted, L2-regularised logistic regression on sparse vectors, fitted by L-BFGS.
//!
//! It minimises `½‖w‖² + C Σᵢ sᵢ log(1 + exp(−yᵢ (w·xᵢ + b)))` (the bias is not penalised), with
//! `sᵢ = n / (2 nₖ)` for a unit of class k ("balanced" weights, so a code applied to few units
//! is not drowned by the rest), as scikit-learn's `LogisticRegression(class_weight="balanced")`
//! does. Full-batch and without randomness, so the same data gives the same model.
//!
//! Written here rather than taken from a crate: the crates that fit this model (linfa-logistic
//! and the like) take dense matrices, and a corpus's TF-IDF matrix is sparse with tens of
//! thousands of columns.

use rayon::prelude::*;

use super::tfidf::SparseVector;

/// A fitted model: weights per feature and a bias.
#[derive(Debug, Clone)]
pub struct Model {
    weights: Vec<f64>,
    bias: f64,
}

/// How hard the fit tries: scikit-learn's defaults (100 iterations, gradient below 1e-4).
const MAX_ITERATIONS: usize = 100;
const GRADIENT_TOLERANCE: f64 = 1e-4;
const HISTORY: usize = 10;

impl Model {
    /// The probability that a unit is positive.
    pub fn probability(&self, x: &[(u32, f32)]) -> f64 {
        sigmoid(self.margin(x))
    }

    fn margin(&self, x: &[(u32, f32)]) -> f64 {
        self.bias
            + x.iter()
                .map(|&(f, v)| self.weights[f as usize] * v as f64)
                .sum::<f64>()
    }

    /// Fits a model to `x` (vectors of `features` features) and labels `y`, with inverse
    /// regularisation strength `c`. Needs both classes; with one, every unit gets its class.
    pub fn fit(x: &[SparseVector], y: &[bool], features: usize, c: f64) -> Model {
        let n = y.len() as f64;
        let positives = y.iter().filter(|&&p| p).count() as f64;
        let negatives = n - positives;
        if positives == 0.0 || negatives == 0.0 {
            return Model {
                weights: vec![0.0; features],
                bias: if positives > 0.0 { 30.0 } else { -30.0 },
            };
        }
        let weight_of = |positive: bool| {
            if positive {
                n / (2.0 * positives)
            } else {
                n / (2.0 * negatives)
            }
        };
        let problem = Problem {
            x,
            y,
            c,
            unit_weights: y.iter().map(|&p| weight_of(p)).collect(),
            features,
        };
        let solution = lbfgs(&problem, vec![0.0; features + 1]);
        let bias = solution[features];
        let mut weights = solution;
        weights.truncate(features);
        Model { weights, bias }
    }
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// log(1 + exp(-m)), without overflow.
fn log_loss(margin: f64) -> f64 {
    if margin > 0.0 {
        (-margin).exp().ln_1p()
    } else {
        -margin + margin.exp().ln_1p()
    }
}

struct Problem<'a> {
    x: &'a [SparseVector],
    y: &'a [bool],
    c: f64,
    unit_weights: Vec<f64>,
    features: usize,
}

impl Problem<'_> {
    /// The objective and its gradient at `w` (features, then the bias).
    fn evaluate(&self, w: &[f64]) -> (f64, Vec<f64>) {
        let bias = w[self.features];
        // Per unit: its loss and d(loss)/d(margin·y), in parallel; summed in order below, so
        // the result does not depend on how the work was split.
        let per_unit: Vec<(f64, f64)> = self
            .x
            .par_iter()
            .zip(self.y.par_iter())
            .zip(self.unit_weights.par_iter())
            .map(|((x, &positive), &weight)| {
                let sign = if positive { 1.0 } else { -1.0 };
                let z = bias
                    + x.iter()
                        .map(|&(f, v)| w[f as usize] * v as f64)
                        .sum::<f64>();
                let margin = sign * z;
                let loss = weight * log_loss(margin);
                let slope = -weight * sign * sigmoid(-margin);
                (loss, slope)
            })
            .collect();
        let mut gradient: Vec<f64> = w.to_vec();
        gradient[self.features] = 0.0;
        let mut value = 0.5 * w[..self.features].iter().map(|v| v * v).sum::<f64>();
        for (x, &(loss, slope)) in self.x.iter().zip(&per_unit) {
            value += self.c * loss;
            let scaled = self.c * slope;
            for &(f, v) in x {
                gradient[f as usize] += scaled * v as f64;
            }
            gradient[self.features] += scaled;
        }
        (value, gradient)
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Limited-memory BFGS with a backtracking (Armijo) line search.
fn lbfgs(problem: &Problem, mut w: Vec<f64>) -> Vec<f64> {
    let (mut value, mut gradient) = problem.evaluate(&w);
    let mut steps: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> =
        std::collections::VecDeque::with_capacity(HISTORY);
    for iteration in 0..MAX_ITERATIONS {
        let largest = gradient.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        if largest < GRADIENT_TOLERANCE {
            break;
        }
        // Two-loop recursion: direction = -H·gradient.
        let mut q = gradient.clone();
        let mut alphas = Vec::with_capacity(steps.len());
        for (s, y, rho) in steps.iter().rev() {
            let alpha = rho * dot(s, &q);
            for (qi, yi) in q.iter_mut().zip(y) {
                *qi -= alpha * yi;
            }
            alphas.push(alpha);
        }
        let scale = match steps.back() {
            Some((s, y, _)) => dot(s, y) / dot(y, y),
            None => 1.0 / largest.max(1.0),
        };
        for qi in &mut q {
            *qi *= scale;
        }
        for ((s, y, rho), alpha) in steps.iter().zip(alphas.iter().rev()) {
            let beta = rho * dot(y, &q);
            for (qi, si) in q.iter_mut().zip(s) {
                *qi += (alpha - beta) * si;
            }
        }
        let mut direction: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&gradient, &direction);
        if slope >= 0.0 {
            // Not a descent direction (rounding): fall back to steepest descent.
            direction = gradient.iter().map(|g| -g).collect();
            slope = dot(&gradient, &direction);
            steps.clear();
        }
        let mut step = 1.0;
        let (next, next_value, next_gradient) = loop {
            let candidate: Vec<f64> = w
                .iter()
                .zip(&direction)
                .map(|(wi, di)| wi + step * di)
                .collect();
            let (v, g) = problem.evaluate(&candidate);
            if v <= value + 1e-4 * step * slope || step < 1e-10 {
                break (candidate, v, g);
            }
            step *= 0.5;
        };
        let improvement = value - next_value;
        let s: Vec<f64> = next.iter().zip(&w).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = next_gradient
            .iter()
            .zip(&gradient)
            .map(|(a, b)| a - b)
            .collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            if steps.len() == HISTORY {
                steps.pop_front();
            }
            steps.push_back((s, y, 1.0 / sy));
        }
        w = next;
        value = next_value;
        gradient = next_gradient;
        if iteration > 0 && improvement.abs() <= 1e-9 * value.abs().max(1.0) {
            break;
        }
    }
    w
}
