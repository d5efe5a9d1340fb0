//! Operations shared by the REST handlers, the MQTT consumers, the seeders and the simulator.

pub mod groups;
pub mod messages;
pub mod presence;
pub mod receipts;
pub mod users;
