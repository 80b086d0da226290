//! A synthetic pool for demonstrations and benchmarks: plausible Chinese names, fake ID numbers
//! and credit codes with valid check characters, Hubei's 17 prefecture-level divisions weighted
//! towards Wuhan, and specialties from the bundled sample classification. Every value comes from
//! the injected generator, so a seed reproduces a pool exactly. None of it is real.

use super::TieKind;
use super::import::{ExpertInput, PastEmployer};
use super::ties::Tie;
use super::validate::{
    CreditCode, IdNumber, Phone, complete_credit_code, complete_id_number, hubei_regions,
};
use crate::crypto::Rng;
use crate::crypto::rng::RandomnessUnavailable;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "蒋", "余", "欧阳",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "华", "建", "国", "志", "红", "文", "斌", "辉", "鹏", "宇",
    "晨", "婷", "雪", "琳", "浩", "凯", "博", "思", "嘉", "俊", "颖", "慧", "峰", "海", "春", "荣",
    "新", "昌",
];
const EMPLOYER_KINDS: &[&str] = &[
    "建设集团",
    "设计研究院",
    "工程咨询公司",
    "信息技术公司",
    "大学",
    "医院",
    "会计师事务所",
    "律师事务所",
];
const LEAF_SPECIALTIES: &[&str] = &[
    "A010101", "A010102", "A0102", "A0103", "A0201", "A0202", "A0203", "A0301", "A0302", "A0401",
    "A0402", "A0403", "B0101", "B0102", "B0201", "B0202", "B0301", "B0302", "C0101", "C0102",
    "C0103", "C0201", "C0202", "C03", "C04", "C05",
];

/// Roughly the province's distribution: about a third of experts work in Wuhan.
fn region_weight(code: &str) -> u32 {
    match code {
        "420100" => 34,
        "420500" | "420600" | "421000" => 7,
        _ => 3,
    }
}

struct Draws<'a> {
    rng: &'a Rng,
}

impl Draws<'_> {
    /// Uniform below `bound`, by rejection so there is no modulo bias.
    fn below(&self, bound: u32) -> Result<u32, RandomnessUnavailable> {
        let zone = u32::MAX - (u32::MAX % bound);
        loop {
            let value = u32::from_be_bytes(self.rng.bytes::<4>()?);
            if value < zone {
                return Ok(value % bound);
            }
        }
    }

    fn pick<'s>(&self, items: &[&'s str]) -> Result<&'s str, RandomnessUnavailable> {
        Ok(items[self.below(items.len() as u32)? as usize])
    }
}

/// `count` synthetic experts, numbered from `first_serial` so repeated runs add new people.
pub(crate) fn generate(
    rng: &Rng,
    count: usize,
    first_serial: usize,
) -> Result<Vec<ExpertInput>, RandomnessUnavailable> {
    let draws = Draws { rng };
    let regions: Vec<(&str, u32)> = hubei_regions()
        .iter()
        .map(|(code, _)| (code.as_str(), region_weight(code)))
        .collect();
    let total_weight: u32 = regions.iter().map(|(_, w)| w).sum();
    let mut experts = Vec::with_capacity(count);
    let mut used = std::collections::HashSet::with_capacity(count);
    for offset in 0..count {
        let serial = first_serial + offset;
        let mut ticket = draws.below(total_weight)?;
        let region = regions
            .iter()
            .find(|(_, weight)| {
                let hit = ticket < *weight;
                ticket = ticket.saturating_sub(*weight);
                hit
            })
            .map_or("420100", |(code, _)| code);
        // Region, birth date and sequence are drawn again until the person is new to this batch.
        let (id_number, birth_year) = loop {
            let birth_year = 1956 + draws.below(35)? as i32;
            let (month, day) = (1 + draws.below(12)?, 1 + draws.below(28)?);
            let digits = format!(
                "{region}{birth_year}{month:02}{day:02}{:03}",
                draws.below(1000)?
            );
            let candidate = complete_id_number(&digits);
            if used.insert(candidate.clone()) {
                break (
                    IdNumber::parse(&candidate).map_err(|_| RandomnessUnavailable)?,
                    birth_year,
                );
            }
        };
        let name = format!(
            "{}{}{}",
            draws.pick(SURNAMES)?,
            draws.pick(GIVEN)?,
            if draws.below(3)? == 0 {
                ""
            } else {
                draws.pick(GIVEN)?
            }
        );
        let phone = Phone::parse(&format!("1{}{:09}", 3 + draws.below(7)?, serial))
            .map_err(|_| RandomnessUnavailable)?;
        let employer_code = demo_credit_code(region, serial % 400)?;
        let employer = format!(
            "{}{}{}",
            region_name(region),
            draws.pick(&["华中", "楚天", "长江", "江汉", "荆楚", "汉江"])?,
            draws.pick(EMPLOYER_KINDS)?
        );
        let specialty_count = 1 + draws.below(3)? as usize;
        let mut specialties = Vec::with_capacity(specialty_count);
        while specialties.len() < specialty_count {
            let code = draws.pick(LEAF_SPECIALTIES)?.to_owned();
            if !specialties.contains(&code) {
                specialties.push(code);
            }
        }
        let past_employers = if draws.below(3)? == 0 {
            let to_year = 2018 + draws.below(7)? as i32;
            vec![PastEmployer {
                credit_code: demo_credit_code(region, 400 + (serial % 400))?,
                from: chrono::NaiveDate::from_ymd_opt(to_year - 5, 1, 1).unwrap_or_default(),
                to: chrono::NaiveDate::from_ymd_opt(to_year, 6, 30).unwrap_or_default(),
            }]
        } else {
            Vec::new()
        };
        // About one in eight sits on a board, holds shares or controls a firm (800–999); half
        // of those ties have ended.
        let ties = if draws.below(8)? == 0 {
            let kind = TieKind::ALL[draws.below(TieKind::ALL.len() as u32)? as usize];
            let from_year = 2012 + draws.below(8)? as i32;
            let to_year = 2021 + draws.below(4)? as i32;
            let ended = draws.below(2)? == 0;
            vec![Tie {
                kind,
                credit_code: demo_credit_code(region, 800 + (serial % 200))?,
                from: chrono::NaiveDate::from_ymd_opt(from_year, 1, 1),
                to: ended
                    .then(|| chrono::NaiveDate::from_ymd_opt(to_year, 12, 31))
                    .flatten(),
            }]
        } else {
            Vec::new()
        };
        experts.push(ExpertInput {
            name: name.into(),
            email: Some(format!("expert{serial}@demo.sealdraw.invalid").into()),
            id_number,
            phone,
            employer: employer.into(),
            employer_credit_code: employer_code,
            specialties,
            region_code: region.to_owned(),
            // Pools admit experts who meet 招标投标法 §37; a few admitted under older rules
            // (中级, or fewer than 8 years) show the floor at work.
            title_level: match draws.below(10)? {
                0 => 1,
                1..=6 => 2,
                _ => 3,
            },
            years_in_field: 5 + draws.below(30)? as i32,
            birth_year,
            past_employers,
            ties: Some(ties),
        });
    }
    Ok(experts)
}

/// The credit code the generator gives organisations: region and serial (0–399 current
/// employers, 400–799 past employers, 800–999 boards, shareholdings and control), e.g. for
/// choosing avoided organisations that match.
pub(crate) fn demo_credit_code(
    region: &str,
    serial: usize,
) -> Result<CreditCode, RandomnessUnavailable> {
    let code =
        complete_credit_code(&format!("91{region}MA4K{serial:05}")).ok_or(RandomnessUnavailable)?;
    CreditCode::parse(&code).map_err(|_| RandomnessUnavailable)
}

fn region_name(code: &str) -> &'static str {
    hubei_regions()
        .iter()
        .find(|(known, _)| known == code)
        .map_or("湖北", |(_, name)| {
            name.trim_end_matches(['市', '州', '区'])
        })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_seed_reproduces_the_pool_and_every_identifier_validates() {
        let first = generate(&Rng::danger_deterministic(b"demo"), 500, 0).unwrap();
        let again = generate(&Rng::danger_deterministic(b"demo"), 500, 0).unwrap();
        let ids: HashSet<&str> = first.iter().map(|e| e.id_number.normalised()).collect();
        assert_eq!(ids.len(), 500, "synthetic people must be distinct");
        for (a, b) in first.iter().zip(&again) {
            assert_eq!(a.id_number.normalised(), b.id_number.normalised());
            assert_eq!(*a.name, *b.name);
            assert_eq!(a.birth_year as u32, a.id_number.birth_year());
            assert!(IdNumber::parse(a.id_number.normalised()).is_ok());
            assert!(!a.specialties.is_empty());
        }
        let tied = first
            .iter()
            .filter(|e| e.ties.as_ref().is_some_and(|ties| !ties.is_empty()))
            .count();
        assert!(
            tied > 30 && tied < 100,
            "about one in eight is tied: {tied}"
        );
        let qualified = first
            .iter()
            .filter(|e| e.title_level >= 2 && e.years_in_field >= 8)
            .count();
        assert!(qualified > 350, "most meet 招标投标法 §37: {qualified}");
        let wuhan = first.iter().filter(|e| e.region_code == "420100").count();
        assert!(
            wuhan > 100 && wuhan < 260,
            "Wuhan should hold about a third: {wuhan}"
        );
        assert_eq!(
            first
                .iter()
                .map(|e| e.region_code.as_str())
                .collect::<HashSet<_>>()
                .len(),
            17
        );
    }
}
