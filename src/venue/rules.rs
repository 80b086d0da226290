//! The venue catalogue's rules as pure functions: what a venue's fields may be, and how busy a
//! room is over a window.

use super::{Full, VenueError, Window, invalid};
use crate::pool::regions::{County, parse_county};
use crate::text::{BoundedText, Lines, TextProblem};

/// A venue's name, as sessions show it: the same bound as a session's labels.
pub(crate) const MAX_NAME_CHARS: usize = 100;
pub(crate) const MAX_ADDRESS_CHARS: usize = 200;
/// More than any evaluation room of the province holds; a larger number is a typing mistake.
pub(crate) const MAX_WORKSTATIONS: u32 = 200;

/// A name or an address: one line, trimmed, 1 to `max` characters.
pub(crate) fn parse_line(field: &str, text: &str, max: usize) -> Result<String, VenueError> {
    BoundedText::parse(text, Lines::One, 1..=max)
        .map(BoundedText::into_string)
        .map_err(|problem| match problem {
            TextProblem::Character(problem) => invalid(field, problem),
            TextProblem::Length { .. } => invalid(field, format!("must be 1 to {max} characters")),
        })
}

pub(crate) fn parse_workstations(field: &str, count: u32) -> Result<u32, VenueError> {
    if (1..=MAX_WORKSTATIONS).contains(&count) {
        Ok(count)
    } else {
        Err(invalid(
            field,
            format!("must be from 1 to {MAX_WORKSTATIONS}"),
        ))
    }
}

/// A venue's region: a county-level division of Hubei.
pub(crate) fn parse_region(field: &str, text: &str) -> Result<&'static County, VenueError> {
    parse_county(text).map_err(|problem| invalid(field, problem))
}

/// A region prefix to filter by: 2 to 6 digits (42: the province, 4206: 襄阳, 420626: 保康).
pub(crate) fn parse_region_prefix(field: &str, text: &str) -> Result<String, VenueError> {
    let prefix = text.trim();
    if (2..=6).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_digit()) {
        Ok(prefix.to_owned())
    } else {
        Err(invalid(
            field,
            "must be 2 to 6 digits of a region code (42, 4206, 420626)",
        ))
    }
}

/// The busiest stretch of a window: the first longest-running stretch where the most
/// workstations are held, and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Peak {
    pub(crate) window: Window,
    pub(crate) held: u32,
}

/// How busy a room is over `window`, given the bookings it holds (those outside the window
/// count for nothing). With no booking inside, the whole window with nothing held.
pub(crate) fn peak(window: Window, bookings: &[(Window, u32)]) -> Peak {
    let mut points = vec![window.start, window.end];
    for (booked, _) in bookings {
        for point in [booked.start, booked.end] {
            if window.start < point && point < window.end {
                points.push(point);
            }
        }
    }
    points.sort_unstable();
    points.dedup();
    let mut best = Peak { window, held: 0 };
    let mut running: Option<Peak> = None;
    for pair in points.windows(2) {
        let segment = Window {
            start: pair[0],
            end: pair[1],
        };
        let held: u32 = bookings
            .iter()
            .filter(|(booked, _)| booked.overlaps(&segment))
            .map(|(_, workstations)| *workstations)
            .fold(0, u32::saturating_add);
        running = match running {
            Some(run) if run.held == held => Some(Peak {
                window: Window {
                    start: run.window.start,
                    end: segment.end,
                },
                held,
            }),
            _ => Some(Peak {
                window: segment,
                held,
            }),
        };
        if let Some(run) = running
            && (run.held > best.held
                || (run.held == best.held && run.window.start == best.window.start))
        {
            best = run;
        }
    }
    best
}

/// What a booking needs to know of its venue.
pub(crate) struct Room<'a> {
    pub(crate) id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) workstations: u32,
}

/// Whether `requested` more workstations fit in `room` over `window`, besides `bookings`;
/// if not, where they do not.
pub(crate) fn check_fits(
    room: &Room<'_>,
    window: Window,
    requested: u32,
    bookings: &[(Window, u32)],
) -> Result<(), Box<Full>> {
    let busiest = peak(window, bookings);
    if busiest.held.saturating_add(requested) <= room.workstations {
        return Ok(());
    }
    Err(Box::new(Full {
        venue_id: room.id.to_owned(),
        venue_name: room.name.to_owned(),
        workstations: room.workstations,
        requested,
        held: busiest.held,
        window: busiest.window,
        field: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(start: i64, end: i64) -> Window {
        Window::new(start, end).unwrap()
    }

    const ROOM: Room<'static> = Room {
        id: "v1",
        name: "3 号评标室",
        workstations: 5,
    };

    #[test]
    fn a_window_without_bookings_is_free_throughout() {
        assert_eq!(
            peak(w(10, 20), &[]),
            Peak {
                window: w(10, 20),
                held: 0
            }
        );
        // Bookings that only touch the window's ends are outside it.
        assert_eq!(peak(w(10, 20), &[(w(0, 10), 5), (w(20, 30), 5)]).held, 0);
    }

    #[test]
    fn the_peak_is_where_bookings_overlap_not_their_sum() {
        // Two bookings inside the window that do not overlap each other never add up.
        let bookings = [(w(0, 12), 3), (w(15, 30), 3)];
        let busiest = peak(w(10, 20), &bookings);
        assert_eq!(
            busiest,
            Peak {
                window: w(10, 12),
                held: 3
            }
        );
        assert!(check_fits(&ROOM, w(10, 20), 2, &bookings).is_ok());
        let full = check_fits(&ROOM, w(10, 20), 3, &bookings).unwrap_err();
        assert_eq!((full.held, full.requested, full.window), (3, 3, w(10, 12)));

        // Overlapping ones do, over the stretch they share, clipped to the window.
        let bookings = [(w(0, 16), 2), (w(14, 30), 2), (w(15, 17), 1)];
        assert_eq!(
            peak(w(10, 20), &bookings),
            Peak {
                window: w(15, 16),
                held: 5
            }
        );
        let full = check_fits(&ROOM, w(10, 20), 1, &bookings).unwrap_err();
        assert_eq!(full.window, w(15, 16));
        assert!(
            full.to_string()
                .contains("5 workstations and 5 of them are held")
        );
        assert!(check_fits(&ROOM, w(16, 20), 1, &bookings).is_ok());
    }

    #[test]
    fn a_stretch_of_equal_load_is_named_whole() {
        // Held 2 from 10 to 18 across a booking boundary at 14.
        let bookings = [(w(0, 14), 2), (w(14, 18), 2)];
        assert_eq!(
            peak(w(10, 20), &bookings),
            Peak {
                window: w(10, 18),
                held: 2
            }
        );
    }

    #[test]
    fn the_room_can_be_filled_exactly() {
        assert!(check_fits(&ROOM, w(0, 10), 5, &[]).is_ok());
        assert!(check_fits(&ROOM, w(0, 10), 6, &[]).is_err());
        assert!(check_fits(&ROOM, w(0, 10), 1, &[(w(0, 10), 4)]).is_ok());
    }

    #[test]
    fn fields_are_bounded_and_regions_are_counties() {
        assert_eq!(
            parse_line("name", "  新洲 远程评标室 ", 100).unwrap(),
            "新洲 远程评标室"
        );
        for bad in ["", "   ", &"x".repeat(101), "a\u{202E}b"] {
            let error = parse_line("name", bad, 100).unwrap_err();
            assert_eq!(error.field().as_deref(), Some("name"), "{bad:?}");
        }
        assert!(parse_workstations("workstations", 0).is_err());
        assert!(parse_workstations("workstations", MAX_WORKSTATIONS + 1).is_err());
        assert_eq!(parse_workstations("workstations", 12).unwrap(), 12);
        assert_eq!(
            parse_region("region_code", "420626").unwrap().name,
            "保康县"
        );
        let error = parse_region("region_code", "420100").unwrap_err();
        assert!(error.to_string().starts_with("region_code: "), "{error}");
        assert_eq!(parse_region_prefix("region", "4206").unwrap(), "4206");
        for bad in ["4", "4206261", "42a6", ""] {
            assert!(parse_region_prefix("region", bad).is_err(), "{bad:?}");
        }
    }
}
