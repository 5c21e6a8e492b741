//! The datasets (embedded from assets/) and a stratified, seeded train/test split.

use std::io::Read;

/// Features scaled to comparable ranges, with the class of each sample.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: &'static str,
    pub features: Vec<Vec<f32>>,
    pub labels: Vec<usize>,
    pub classes: usize,
}

impl Dataset {
    pub fn dim(&self) -> usize {
        self.features.first().map_or(0, Vec::len)
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn by_name(name: &str) -> Result<Dataset, String> {
        match name {
            "digits" => Ok(digits()),
            "wine" => Ok(wine()),
            other => Err(format!("unknown dataset {other:?} (digits or wine)")),
        }
    }
}

/// The handwritten digits: 1,797 samples, 64 pixels 0–16 scaled to 0–1, 10 classes.
pub fn digits() -> Dataset {
    let mut csv = String::new();
    flate2::read::GzDecoder::new(&include_bytes!("../../../assets/datasets/digits.csv.gz")[..])
        .read_to_string(&mut csv)
        .expect("the embedded digits data is valid gzip");
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    for line in csv.lines().filter(|l| !l.is_empty()) {
        let values: Vec<f32> = line
            .split(',')
            .map(|v| v.trim().parse().expect("numeric"))
            .collect();
        let (x, y) = values.split_at(values.len() - 1);
        features.push(x.iter().map(|v| v / 16.0).collect());
        labels.push(y[0] as usize);
    }
    Dataset {
        name: "digits",
        features,
        labels,
        classes: 10,
    }
}

/// The wines: 178 samples, 13 measurements standardised to zero mean and unit variance.
pub fn wine() -> Dataset {
    let csv = include_str!("../../../assets/datasets/wine.csv");
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    for line in csv.lines().skip(1).filter(|l| !l.is_empty()) {
        let values: Vec<f32> = line
            .split(',')
            .map(|v| v.trim().parse().expect("numeric"))
            .collect();
        let (x, y) = values.split_at(values.len() - 1);
        features.push(x.to_vec());
        labels.push(y[0] as usize);
    }
    let dim = features[0].len();
    for j in 0..dim {
        let n = features.len() as f32;
        let mean = features.iter().map(|x| x[j]).sum::<f32>() / n;
        let sd = (features.iter().map(|x| (x[j] - mean).powi(2)).sum::<f32>() / n)
            .sqrt()
            .max(1e-6);
        for x in &mut features {
            x[j] = (x[j] - mean) / sd;
        }
    }
    Dataset {
        name: "wine",
        features,
        labels,
        classes: 3,
    }
}

/// SplitMix64: small, fast, and the same sequence on every machine for a seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Indices of a stratified split: `test_fraction` of every class goes to the test side.
pub fn stratified_split(
    labels: &[usize],
    classes: usize,
    test_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in 0..classes {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rng.shuffle(&mut members);
        let n_test = (members.len() as f64 * test_fraction).round() as usize;
        test.extend_from_slice(&members[..n_test]);
        train.extend_from_slice(&members[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_the_real_datasets() {
        let d = digits();
        assert_eq!((d.len(), d.dim(), d.classes), (1797, 64, 10));
        assert!(d.features.iter().flatten().all(|v| (0.0..=1.0).contains(v)));
        assert_eq!(d.labels[..4], [0, 1, 2, 3]);
        let w = wine();
        assert_eq!((w.len(), w.dim(), w.classes), (178, 13, 3));
    }

    #[test]
    fn the_split_is_stratified_disjoint_and_seeded() {
        let d = digits();
        let (train, test) = stratified_split(&d.labels, d.classes, 0.2, 7);
        assert_eq!(train.len() + test.len(), d.len());
        assert!(train.iter().all(|i| test.binary_search(i).is_err()));
        for class in 0..10 {
            let total = d.labels.iter().filter(|&&l| l == class).count();
            let in_test = test.iter().filter(|&&i| d.labels[i] == class).count();
            assert_eq!(in_test, (total as f64 * 0.2).round() as usize);
        }
        assert_eq!(
            stratified_split(&d.labels, 10, 0.2, 7),
            (train.clone(), test.clone())
        );
        assert_ne!(stratified_split(&d.labels, 10, 0.2, 8).1, test);
    }
}
