//! Hubei's county-level divisions (GB/T 2260: 市辖区, 县级市, 县, 自治县, 林区) and the
//! prefecture-level division each belongs to, bundled as data (`data/hubei-counties.csv`, the
//! list in force since 监利县 became 监利市 in 2020: 103 divisions). Experts carry a
//! prefecture-level region ([`super::validate::parse_region`], unchanged); a venue is a room
//! in one county, so it carries a county-level code, and a rule about "the venue's area" needs
//! to know which prefecture that county is in.
//!
//! The four divisions the province administers directly (仙桃, 潜江, 天门, 神农架) are both
//! county-level and on the prefecture-level list, so each is its own prefecture. That is why a
//! prefecture's [`Prefecture::prefix`] is not always four digits: 4290 is GB/T 2260's group of
//! those four, not a prefecture, and an expert of 潜江 (429005) is not from 仙桃's area.

use std::sync::OnceLock;

use super::validate::hubei_regions;

/// A prefecture-level division of Hubei, as on the prefecture-level list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prefecture {
    /// The 6-digit code (420600).
    pub code: String,
    pub name: String,
    /// The code prefix every region of this prefecture starts with: the first four digits
    /// (4206), or all six for a division the province administers directly (429004).
    pub prefix: String,
}

/// What kind of county-level division a code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CountyKind {
    /// 市辖区
    District,
    /// 县级市
    CountyLevelCity,
    /// 县
    County,
    /// 自治县
    AutonomousCounty,
    /// 林区
    ForestryDistrict,
}

impl CountyKind {
    /// The list's spelling, which the API answers with too.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::District => "district",
            Self::CountyLevelCity => "county-level city",
            Self::County => "county",
            Self::AutonomousCounty => "autonomous county",
            Self::ForestryDistrict => "forestry district",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "district" => Self::District,
            "county-level city" => Self::CountyLevelCity,
            "county" => Self::County,
            "autonomous county" => Self::AutonomousCounty,
            "forestry district" => Self::ForestryDistrict,
            _ => return None,
        })
    }
}

/// A county-level division of Hubei.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct County {
    /// The 6-digit code (420626).
    pub code: String,
    pub name: String,
    pub kind: CountyKind,
    /// Index into [`prefectures`].
    prefecture: usize,
}

impl County {
    pub(crate) fn prefecture(&self) -> &'static Prefecture {
        &prefectures()[self.prefecture]
    }
}

/// The prefecture-level divisions, in the prefecture-level list's order.
pub(crate) fn prefectures() -> &'static [Prefecture] {
    static PREFECTURES: OnceLock<Vec<Prefecture>> = OnceLock::new();
    PREFECTURES.get_or_init(|| {
        hubei_regions()
            .iter()
            .map(|(code, name)| Prefecture {
                code: code.clone(),
                name: name.clone(),
                prefix: if code.ends_with("00") {
                    code[..4].to_owned()
                } else {
                    code.clone()
                },
            })
            .collect()
    })
}

/// Every county-level division, in code order.
pub(crate) fn counties() -> &'static [County] {
    static COUNTIES: OnceLock<Vec<County>> = OnceLock::new();
    COUNTIES.get_or_init(|| {
        include_str!("data/hubei-counties.csv")
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut fields = line.split(',');
                let (code, name, kind, prefecture) = (
                    fields.next()?,
                    fields.next()?,
                    fields.next()?,
                    fields.next()?,
                );
                // A line that does not parse is missing from the list, which the unit tests
                // (every line parsed, 103 in all) would catch before it ships.
                Some(County {
                    code: code.to_owned(),
                    name: name.to_owned(),
                    kind: CountyKind::parse(kind)?,
                    prefecture: prefectures().iter().position(|p| p.code == prefecture)?,
                })
            })
            .collect()
    })
}

/// The county-level division `code` names, if it names one.
pub(crate) fn county(code: &str) -> Option<&'static County> {
    counties()
        .binary_search_by(|county| county.code.as_str().cmp(code))
        .ok()
        .map(|index| &counties()[index])
}

/// A county-level division code as a person typed it (surrounding spaces allowed).
pub(crate) fn parse_county(text: &str) -> Result<&'static County, String> {
    let code = text.trim();
    county(code).ok_or_else(|| {
        format!(
            "{:?} is not a county-level division code of Hubei (GB/T 2260, e.g. 420117 新洲区)",
            code.chars().take(16).collect::<String>()
        )
    })
}

/// A trading center's region as a person typed it: a prefecture-level division's code
/// (420600) or a county-level one's (420626), each in Hubei's list.
pub(crate) fn parse_center_region(text: &str) -> Result<String, String> {
    let code = text.trim();
    if county(code).is_some() || super::validate::parse_region(code).is_ok() {
        Ok(code.to_owned())
    } else {
        Err(format!(
            "{:?} is not a region code of Hubei's list (GB/T 2260: a prefecture's such as \
             420600, or a county's such as 420626)",
            code.chars().take(16).collect::<String>()
        ))
    }
}

/// One region of a supervisor's jurisdiction as an admin gave it, as the scope stores it: a
/// prefecture by its prefix (`4206`) or its code (`420600`, stored as `4206`, so that it covers
/// the prefecture's counties), or one county by its code (`420626`). Nothing else: a bare
/// province (`42`: leave the regions empty) or a group that is no division (`4290`) is refused.
pub(crate) fn parse_scope_region(text: &str) -> Result<String, String> {
    let code = text.trim();
    if let Some(prefecture) = prefectures()
        .iter()
        .find(|p| p.prefix == code || p.code == code)
    {
        return Ok(prefecture.prefix.clone());
    }
    if let Some(county) = county(code) {
        return Ok(county.code.clone());
    }
    Err(format!(
        "{:?} is neither a prefecture of Hubei's list (its prefix such as 4206 or its code such \
         as 420600) nor one of its counties (such as 420626); leave the regions empty for the \
         whole province",
        code.chars().take(16).collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn a_scope_names_prefectures_by_prefix_and_counties_by_code() {
        assert_eq!(parse_scope_region("4206").as_deref(), Ok("4206"));
        assert_eq!(parse_scope_region(" 420600 ").as_deref(), Ok("4206"));
        assert_eq!(parse_scope_region("420626").as_deref(), Ok("420626"));
        assert_eq!(parse_scope_region("429004").as_deref(), Ok("429004"));
        for refused in ["42", "4290", "429000", "420699", "4299", "", "４２０６"] {
            assert!(parse_scope_region(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn every_line_of_the_list_is_a_county_of_a_known_prefecture() {
        let lines = include_str!("data/hubei-counties.csv").lines().count() - 1;
        assert_eq!(counties().len(), lines, "a line did not parse");
        assert_eq!(lines, 103);
        let codes: BTreeSet<&str> = counties().iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes.len(), counties().len(), "a code is listed twice");
        assert!(
            counties().windows(2).all(|w| w[0].code < w[1].code),
            "the list is in code order (the lookup relies on it)"
        );
        for county in counties() {
            assert!(
                county.code.len() == 6 && county.code.bytes().all(|b| b.is_ascii_digit()),
                "{county:?}"
            );
            let prefecture = county.prefecture();
            assert!(
                hubei_regions()
                    .iter()
                    .any(|(code, _)| *code == prefecture.code),
                "{county:?}"
            );
            assert!(county.code.starts_with(&prefecture.prefix), "{county:?}");
        }
    }

    #[test]
    fn the_list_has_gb_t_2260s_counts_of_each_kind() {
        let count = |kind| counties().iter().filter(|c| c.kind == kind).count();
        assert_eq!(count(CountyKind::District), 39);
        assert_eq!(count(CountyKind::CountyLevelCity), 26);
        assert_eq!(count(CountyKind::County), 35);
        assert_eq!(count(CountyKind::AutonomousCounty), 2);
        assert_eq!(count(CountyKind::ForestryDistrict), 1);
        // Every prefecture-level division has at least one county.
        for prefecture in prefectures() {
            assert!(
                counties().iter().any(|c| c.prefecture() == prefecture),
                "{prefecture:?}"
            );
        }
    }

    #[test]
    fn every_kind_is_spelled_as_the_list_spells_it() {
        for county in counties() {
            assert_eq!(CountyKind::parse(county.kind.as_str()), Some(county.kind));
        }
    }

    #[test]
    fn known_codes_name_their_county_and_prefecture() {
        for (code, name, prefecture, prefix) in [
            ("420117", "新洲区", "武汉市", "4201"),
            ("420115", "江夏区", "武汉市", "4201"),
            ("420626", "保康县", "襄阳市", "4206"),
            ("420304", "郧阳区", "十堰市", "4203"),
            ("420528", "长阳土家族自治县", "宜昌市", "4205"),
            ("420882", "京山市", "荆门市", "4208"),
            ("421088", "监利市", "荆州市", "4210"),
            ("421303", "曾都区", "随州市", "4213"),
            ("421381", "广水市", "随州市", "4213"),
            ("422801", "恩施市", "恩施土家族苗族自治州", "4228"),
            ("429004", "仙桃市", "仙桃市", "429004"),
            ("429021", "神农架林区", "神农架林区", "429021"),
        ] {
            let county = parse_county(code).unwrap();
            assert_eq!(county.name, name);
            assert_eq!(county.prefecture().name, prefecture, "{code}");
            assert_eq!(county.prefecture().prefix, prefix, "{code}");
        }
        assert_eq!(parse_county(" 420117 ").unwrap().code, "420117");
    }

    #[test]
    fn prefectures_provinces_and_retired_codes_are_not_counties() {
        // 420100 is a prefecture; 420321 (郧县) and 421023 (监利县) were retired; 420821
        // (京山县) too; 110101 is in Beijing.
        for code in [
            "420100", "420000", "420321", "421023", "420821", "110101", "4201", "",
        ] {
            let problem = parse_county(code).unwrap_err();
            assert!(problem.contains("county-level"), "{problem}");
        }
    }
}
