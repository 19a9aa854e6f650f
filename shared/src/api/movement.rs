//! `POST /agents/{id}/move`: where an agent walks, and the walk set in motion. The target is
//! one enum; the body's five optional coordinates are read into it once, here.

use serde::{Deserialize, Serialize};

use crate::ids::TilePos;

/// Where to walk: one of `{dx, dy}`, `{x, y}` or `{landmark}`, each with exactly its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged, try_from = "MoveFields")]
pub enum MoveRequest {
    /// Relative to the agent's tile; one step when |dx|+|dy| is 1, otherwise a walk.
    Offset {
        /// Tiles to the east (negative: west).
        dx: i64,
        /// Tiles to the south (negative: north).
        dy: i64,
    },
    /// An absolute tile.
    Tile {
        /// The tile's column.
        x: i64,
        /// The tile's row.
        y: i64,
    },
    /// Any free tile of a landmark.
    Landmark {
        /// A landmark's key (see `GET /world`).
        landmark: String,
    },
}

/// A move body as sent, before it is read as a [`MoveRequest`]: every coordinate any target
/// takes, each of its type. A body with another field, or one of another type, is malformed as
/// a whole; one that fits this but gives no single target is a [`MoveShapeError`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveFields {
    pub dx: Option<i64>,
    pub dy: Option<i64>,
    pub x: Option<i64>,
    pub y: Option<i64>,
    pub landmark: Option<String>,
}

/// A move body that gives no target or more than one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("give exactly one of {{\"dx\",\"dy\"}}, {{\"x\",\"y\"}} or {{\"landmark\"}}")]
pub struct MoveShapeError;

impl TryFrom<MoveFields> for MoveRequest {
    type Error = MoveShapeError;

    fn try_from(fields: MoveFields) -> Result<MoveRequest, MoveShapeError> {
        match fields {
            MoveFields {
                dx: Some(dx),
                dy: Some(dy),
                x: None,
                y: None,
                landmark: None,
            } => Ok(MoveRequest::Offset { dx, dy }),
            MoveFields {
                dx: None,
                dy: None,
                x: Some(x),
                y: Some(y),
                landmark: None,
            } => Ok(MoveRequest::Tile { x, y }),
            MoveFields {
                dx: None,
                dy: None,
                x: None,
                y: None,
                landmark: Some(landmark),
            } => Ok(MoveRequest::Landmark { landmark }),
            _ => Err(MoveShapeError),
        }
    }
}

/// What a successful move request set in motion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MovePlan {
    pub from: TilePos,
    /// The tile the walk ends on.
    pub to: TilePos,
    /// Tiles to walk, one per tick; 0 when the agent is already there.
    pub steps: usize,
    /// The landmark the walk heads for, if one was named or the target lies in one.
    pub landmark: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_target_keeps_its_wire_form() {
        // A target is written with exactly its fields and read back as itself.
        let cases = [
            (
                MoveRequest::Offset { dx: 1, dy: -2 },
                json!({"dx": 1, "dy": -2}),
            ),
            (MoveRequest::Tile { x: 3, y: 4 }, json!({"x": 3, "y": 4})),
            (
                MoveRequest::Landmark {
                    landmark: "cafe".into(),
                },
                json!({"landmark": "cafe"}),
            ),
        ];
        for (target, wire) in cases {
            assert_eq!(serde_json::to_value(&target).unwrap(), wire);
            assert_eq!(serde_json::from_value::<MoveRequest>(wire).unwrap(), target);
        }
    }

    #[test]
    fn a_body_with_no_single_target_is_refused() {
        // Mixed, half or empty targets are shape errors; unknown fields are not even fields.
        for body in [
            json!({"dx": 1, "dy": 0, "landmark": "cafe"}),
            json!({"x": 3}),
            json!({}),
        ] {
            let fields: MoveFields = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(MoveRequest::try_from(fields), Err(MoveShapeError), "{body}");
        }
        assert!(
            serde_json::from_value::<MoveFields>(json!({"dx": 1, "dy": 0, "teleport": true}))
                .is_err()
        );
        assert!(serde_json::from_value::<MoveFields>(json!({"x": "3", "y": 4})).is_err());
    }
}
