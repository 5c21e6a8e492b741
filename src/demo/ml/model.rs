//! Online classifiers trained one sample at a time by stochastic gradient descent:
//! multinomial logistic regression and a one-hidden-layer perceptron (MLP). Plain Rust; the
//! datasets are small enough that clarity beats a linear-algebra crate.

use serde::Serialize;

use super::dataset::Rng;

/// A classifier that learns from a stream of samples.
pub trait OnlineModel: Send {
    fn name(&self) -> &'static str;
    /// Class probabilities for one sample.
    fn predict(&self, x: &[f32]) -> Vec<f32>;
    /// One SGD step on one sample.
    fn learn(&mut self, x: &[f32], label: usize);
}

/// Softmax that cannot overflow: the largest logit is subtracted first.
pub fn softmax(logits: &mut [f32]) {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in logits.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in logits.iter_mut() {
        *v /= sum;
    }
}

/// Multinomial logistic regression with L2 regularisation.
#[derive(Debug, Clone)]
pub struct LogisticRegression {
    classes: usize,
    dim: usize,
    weights: Vec<f32>,
    bias: Vec<f32>,
    learning_rate: f32,
    l2: f32,
    steps: u64,
}

/// Learning rate after `steps` updates: decays so late samples refine rather than shake.
fn decayed(rate: f32, steps: u64) -> f32 {
    rate / (1.0 + steps as f32 / 2000.0)
}

impl LogisticRegression {
    pub fn new(dim: usize, classes: usize) -> Self {
        LogisticRegression {
            classes,
            dim,
            weights: vec![0.0; dim * classes],
            bias: vec![0.0; classes],
            learning_rate: 0.1,
            l2: 1e-4,
            steps: 0,
        }
    }

    fn logits(&self, x: &[f32]) -> Vec<f32> {
        (0..self.classes)
            .map(|c| {
                let w = &self.weights[c * self.dim..(c + 1) * self.dim];
                self.bias[c] + w.iter().zip(x).map(|(w, x)| w * x).sum::<f32>()
            })
            .collect()
    }

    /// d(cross-entropy)/d(logits) = p − onehot(label).
    pub fn gradient(&self, x: &[f32], label: usize) -> Vec<f32> {
        let mut p = self.logits(x);
        softmax(&mut p);
        p[label] -= 1.0;
        p
    }
}

impl OnlineModel for LogisticRegression {
    fn name(&self) -> &'static str {
        "logreg"
    }

    fn predict(&self, x: &[f32]) -> Vec<f32> {
        let mut p = self.logits(x);
        softmax(&mut p);
        p
    }

    fn learn(&mut self, x: &[f32], label: usize) {
        let grad = self.gradient(x, label);
        let (lr, l2) = (decayed(self.learning_rate, self.steps), self.l2);
        self.steps += 1;
        for (c, g) in grad.iter().enumerate() {
            let w = &mut self.weights[c * self.dim..(c + 1) * self.dim];
            for (w, x) in w.iter_mut().zip(x) {
                *w -= lr * (g * x + l2 * *w);
            }
            self.bias[c] -= lr * g;
        }
    }
}

/// One hidden ReLU layer, softmax output.
#[derive(Debug, Clone)]
pub struct Mlp {
    dim: usize,
    hidden: usize,
    classes: usize,
    w1: Vec<f32>,
    b1: Vec<f32>,
    w2: Vec<f32>,
    b2: Vec<f32>,
    learning_rate: f32,
    steps: u64,
}

impl Mlp {
    pub fn new(dim: usize, hidden: usize, classes: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        // He initialisation for the ReLU layer, small uniform for the output.
        let scale1 = (6.0 / dim as f32).sqrt();
        let scale2 = (6.0 / hidden as f32).sqrt() * 0.5;
        let mut uniform = |scale: f32| (rng.next_f32() * 2.0 - 1.0) * scale;
        let w1 = (0..dim * hidden).map(|_| uniform(scale1)).collect();
        let w2 = (0..hidden * classes).map(|_| uniform(scale2)).collect();
        Mlp {
            dim,
            hidden,
            classes,
            w1,
            b1: vec![0.0; hidden],
            w2,
            b2: vec![0.0; classes],
            learning_rate: 0.05,
            steps: 0,
        }
    }

    fn forward(&self, x: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let h: Vec<f32> = (0..self.hidden)
            .map(|j| {
                let w = &self.w1[j * self.dim..(j + 1) * self.dim];
                (self.b1[j] + w.iter().zip(x).map(|(w, x)| w * x).sum::<f32>()).max(0.0)
            })
            .collect();
        let mut out: Vec<f32> = (0..self.classes)
            .map(|c| {
                let w = &self.w2[c * self.hidden..(c + 1) * self.hidden];
                self.b2[c] + w.iter().zip(&h).map(|(w, h)| w * h).sum::<f32>()
            })
            .collect();
        softmax(&mut out);
        (h, out)
    }
}

impl OnlineModel for Mlp {
    fn name(&self) -> &'static str {
        "mlp"
    }

    fn predict(&self, x: &[f32]) -> Vec<f32> {
        self.forward(x).1
    }

    fn learn(&mut self, x: &[f32], label: usize) {
        let (h, mut grad_out) = self.forward(x);
        grad_out[label] -= 1.0;
        let lr = decayed(self.learning_rate, self.steps);
        self.steps += 1;
        // Hidden gradient uses the output weights before they change.
        let mut grad_h = vec![0.0f32; self.hidden];
        for (c, g) in grad_out.iter().enumerate() {
            let w = &mut self.w2[c * self.hidden..(c + 1) * self.hidden];
            for (j, w) in w.iter_mut().enumerate() {
                grad_h[j] += g * *w;
                *w -= lr * g * h[j];
            }
            self.b2[c] -= lr * g;
        }
        for j in 0..self.hidden {
            if h[j] <= 0.0 {
                continue; // ReLU passes no gradient where it was off
            }
            let w = &mut self.w1[j * self.dim..(j + 1) * self.dim];
            for (w, x) in w.iter_mut().zip(x) {
                *w -= lr * grad_h[j] * x;
            }
            self.b1[j] -= lr * grad_h[j];
        }
    }
}

/// How a model does on held-out samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub accuracy: f64,
    /// Mean cross-entropy.
    pub loss: f64,
    pub per_class_accuracy: Vec<f64>,
    /// confusion[true][predicted]
    pub confusion: Vec<Vec<u32>>,
}

pub fn evaluate(
    model: &dyn OnlineModel,
    features: &[Vec<f32>],
    labels: &[usize],
    classes: usize,
) -> Evaluation {
    let mut confusion = vec![vec![0u32; classes]; classes];
    let mut loss = 0.0f64;
    for (x, &y) in features.iter().zip(labels) {
        let p = model.predict(x);
        let predicted = p
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        confusion[y][predicted] += 1;
        loss -= f64::from(p[y].max(1e-12)).ln();
    }
    let n = labels.len().max(1) as f64;
    let correct: u32 = (0..classes).map(|c| confusion[c][c]).sum();
    Evaluation {
        accuracy: f64::from(correct) / n,
        loss: loss / n,
        per_class_accuracy: confusion
            .iter()
            .enumerate()
            .map(|(c, row)| {
                let total: u32 = row.iter().sum();
                if total == 0 {
                    0.0
                } else {
                    f64::from(row[c]) / f64::from(total)
                }
            })
            .collect(),
        confusion,
    }
}

/// The two models every run trains side by side.
pub fn models(dim: usize, classes: usize, seed: u64) -> Vec<Box<dyn OnlineModel>> {
    vec![
        Box::new(LogisticRegression::new(dim, classes)),
        Box::new(Mlp::new(dim, 32, classes, seed)),
    ]
}

/// Trains offline, in process, on a split: the reference the streamed run is compared to.
pub fn train_offline(
    model: &mut dyn OnlineModel,
    dataset: &super::Dataset,
    train: &[usize],
    epochs: u32,
    seed: u64,
) {
    let mut order = train.to_vec();
    for epoch in 1..=epochs {
        Rng::new(seed.wrapping_add(u64::from(epoch))).shuffle(&mut order);
        for &i in &order {
            model.learn(&dataset.features[i], dataset.labels[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::ml::dataset::{digits, stratified_split};

    #[test]
    fn softmax_is_stable_for_huge_logits() {
        let mut v = vec![1000.0, 1001.0, -1000.0];
        softmax(&mut v);
        assert!(v.iter().all(|p| p.is_finite()));
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[1] > v[0] && v[2] < 1e-6);
    }

    #[test]
    fn logistic_gradient_matches_finite_differences() {
        let mut m = LogisticRegression::new(3, 3);
        m.weights = vec![0.1, -0.2, 0.3, 0.0, 0.5, -0.1, 0.2, 0.2, 0.2];
        let x = [0.5, -1.0, 2.0];
        let label = 1;
        let loss = |m: &LogisticRegression| -(m.predict(&x)[label] as f64).ln();
        let grad = m.gradient(&x, label);
        // dL/dW[c][j] = grad[c] * x[j]; check c = 2, j = 2 numerically.
        let eps = 1e-3;
        let mut plus = m.clone();
        plus.weights[2 * 3 + 2] += eps;
        let mut minus = m.clone();
        minus.weights[2 * 3 + 2] -= eps;
        let numeric = (loss(&plus) - loss(&minus)) / (2.0 * eps as f64);
        let analytic = f64::from(grad[2] * x[2]);
        assert!((numeric - analytic).abs() < 1e-3, "{numeric} vs {analytic}");
    }

    #[test]
    fn both_models_learn_digits_offline() {
        let d = digits();
        let (train, test) = stratified_split(&d.labels, d.classes, 0.2, 42);
        let test_x: Vec<Vec<f32>> = test.iter().map(|&i| d.features[i].clone()).collect();
        let test_y: Vec<usize> = test.iter().map(|&i| d.labels[i]).collect();
        for mut model in models(d.dim(), d.classes, 42) {
            let before = evaluate(model.as_ref(), &test_x, &test_y, d.classes);
            train_offline(model.as_mut(), &d, &train, 3, 42);
            let after = evaluate(model.as_ref(), &test_x, &test_y, d.classes);
            assert!(
                after.accuracy >= 0.9,
                "{}: {}",
                model.name(),
                after.accuracy
            );
            assert!(after.loss < before.loss);
            let counted: u32 = after.confusion.iter().flatten().sum();
            assert_eq!(counted as usize, test.len());
        }
    }
}
