//! Where a new agent container goes: the node with the most free capacity that can hold it.
//!
//! Pure: capacity and use are passed in. GPU tiers go only to nodes with GPUs; a node that is
//! down takes nothing.

use shared::tier::GpuShare;

use crate::spec::Limits;

/// What a node offers to agent containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub cpu_millicores: u64,
    pub memory_mib: u64,
    pub gpus: u32,
}

/// One node as placement sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLoad {
    pub name: String,
    /// False once the node failed enough pings in a row; it takes no new containers.
    pub up: bool,
    pub capacity: Capacity,
    /// CPU promised to the containers already on it.
    pub used_cpu_millicores: u64,
    /// Memory promised to the containers already on it.
    pub used_memory_mib: u64,
}

impl NodeLoad {
    pub fn free_cpu_millicores(&self) -> u64 {
        self.capacity
            .cpu_millicores
            .saturating_sub(self.used_cpu_millicores)
    }

    pub fn free_memory_mib(&self) -> u64 {
        self.capacity
            .memory_mib
            .saturating_sub(self.used_memory_mib)
    }

    /// Whether the node can take a container with `limits`.
    pub fn fits(&self, limits: &Limits) -> bool {
        self.up
            && (limits.gpu == GpuShare::None || self.capacity.gpus > 0)
            && self.free_cpu_millicores() >= u64::from(limits.cpu_millicores)
            && self.free_memory_mib() >= u64::from(limits.memory_mib)
    }

    /// Counts a container placed here.
    pub fn take(&mut self, limits: &Limits) {
        self.used_cpu_millicores += u64::from(limits.cpu_millicores);
        self.used_memory_mib += u64::from(limits.memory_mib);
    }
}

/// Why no node could take a container.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    #[error("no node is up")]
    NoNodeUp,
    #[error("the tier asks for a GPU and no node that is up has one")]
    NoGpuNode,
    #[error(
        "no node has room: it needs {cpu_millicores} millicores and {memory_mib} MiB; the most free is {free_cpu_millicores} millicores and {free_memory_mib} MiB"
    )]
    NoRoom {
        cpu_millicores: u32,
        memory_mib: u32,
        free_cpu_millicores: u64,
        free_memory_mib: u64,
    },
}

/// The index of the node to place a container with `limits` on: among the nodes that fit it,
/// the one with the most free CPU, then the most free memory, then the first listed (so the
/// same loads always give the same answer).
pub fn choose_node(nodes: &[NodeLoad], limits: &Limits) -> Result<usize, PlacementError> {
    let best = nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| node.fits(limits))
        .max_by(|(ia, a), (ib, b)| {
            (a.free_cpu_millicores(), a.free_memory_mib())
                .cmp(&(b.free_cpu_millicores(), b.free_memory_mib()))
                // Ties go to the earlier node: max_by keeps the last of equals, so reverse.
                .then(ib.cmp(ia))
        })
        .map(|(index, _)| index);
    if let Some(index) = best {
        return Ok(index);
    }
    let up: Vec<_> = nodes.iter().filter(|node| node.up).collect();
    if up.is_empty() {
        return Err(PlacementError::NoNodeUp);
    }
    if limits.gpu != GpuShare::None && up.iter().all(|node| node.capacity.gpus == 0) {
        return Err(PlacementError::NoGpuNode);
    }
    let roomiest = up
        .iter()
        .max_by_key(|node| (node.free_cpu_millicores(), node.free_memory_mib()))
        .map(|node| (node.free_cpu_millicores(), node.free_memory_mib()))
        .unwrap_or_default();
    Err(PlacementError::NoRoom {
        cpu_millicores: limits.cpu_millicores,
        memory_mib: limits.memory_mib,
        free_cpu_millicores: roomiest.0,
        free_memory_mib: roomiest.1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        cpu_millicores: 500,
        memory_mib: 512,
        pids_max: 64,
        gpu: GpuShare::None,
    };

    fn node(name: &str, cpu: u64, gpus: u32) -> NodeLoad {
        NodeLoad {
            name: name.into(),
            up: true,
            capacity: Capacity {
                cpu_millicores: cpu,
                memory_mib: 8192,
                gpus,
            },
            used_cpu_millicores: 0,
            used_memory_mib: 0,
        }
    }

    #[test]
    fn containers_spread_to_the_node_with_the_most_free_capacity() {
        // Ten small containers on two equal nodes end five and five; ties go to the first.
        let mut nodes = vec![node("sparky1", 4000, 0), node("sparky2", 4000, 0)];
        let mut counts = [0; 2];
        for _ in 0..10 {
            let chosen = choose_node(&nodes, &SMALL).unwrap();
            nodes[chosen].take(&SMALL);
            counts[chosen] += 1;
        }
        assert_eq!(counts, [5, 5]);
        assert_eq!(
            choose_node(&[node("a", 1000, 0), node("b", 1000, 0)], &SMALL),
            Ok(0)
        );
    }

    #[test]
    fn gpu_tiers_go_only_to_gpu_nodes_and_down_nodes_take_nothing() {
        // The GPU node is chosen even with less free CPU; a down node is never chosen.
        let gpu = Limits {
            gpu: GpuShare::Shared,
            ..SMALL
        };
        let nodes = vec![node("cpu-only", 16_000, 0), node("gpu", 2000, 1)];
        assert_eq!(choose_node(&nodes, &gpu), Ok(1));
        let mut down = nodes.clone();
        down[1].up = false;
        assert_eq!(choose_node(&down, &gpu), Err(PlacementError::NoGpuNode));
        assert_eq!(choose_node(&down, &SMALL), Ok(0));
        down[0].up = false;
        assert_eq!(choose_node(&down, &SMALL), Err(PlacementError::NoNodeUp));
    }

    #[test]
    fn a_full_village_says_how_much_room_is_left() {
        // The refusal gives the need and the most any node has free.
        let mut full = node("sparky1", 1000, 0);
        full.take(&SMALL);
        match choose_node(
            &[full],
            &Limits {
                cpu_millicores: 800,
                ..SMALL
            },
        ) {
            Err(PlacementError::NoRoom {
                free_cpu_millicores: 500,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }
}
