//! Protobuf messages of the TWS API dialect at server version 213 and later.
//!
//! Field names and tags follow IB's `.proto` files as shipped with the
//! official client (`ibapi-stable` 10.50, `protobuf/*.proto`); see
//! `shared/research/protocols.md` §1.7. Only the fields the simulator reads
//! or writes are declared: prost skips unknown tags when decoding, so a
//! client that sends more (every real client does) still decodes.

use std::collections::HashMap;

/// Offset added to a message id on the wire when its payload is protobuf.
pub const PROTOBUF_MSG_ID: i32 = 200;

/// Client → server message ids (before the protobuf offset).
pub mod out {
    #![allow(missing_docs)]
    pub const REQ_MKT_DATA: i32 = 1;
    pub const CANCEL_MKT_DATA: i32 = 2;
    pub const PLACE_ORDER: i32 = 3;
    pub const CANCEL_ORDER: i32 = 4;
    pub const REQ_OPEN_ORDERS: i32 = 5;
    pub const REQ_ACCT_DATA: i32 = 6;
    pub const REQ_EXECUTIONS: i32 = 7;
    pub const REQ_IDS: i32 = 8;
    pub const REQ_CONTRACT_DATA: i32 = 9;
    pub const REQ_MKT_DEPTH: i32 = 10;
    pub const REQ_AUTO_OPEN_ORDERS: i32 = 15;
    pub const REQ_ALL_OPEN_ORDERS: i32 = 16;
    pub const REQ_MANAGED_ACCTS: i32 = 17;
    pub const REQ_HISTORICAL_DATA: i32 = 20;
    pub const CANCEL_HISTORICAL_DATA: i32 = 25;
    pub const REQ_CURRENT_TIME: i32 = 49;
    pub const REQ_REAL_TIME_BARS: i32 = 50;
    pub const CANCEL_REAL_TIME_BARS: i32 = 51;
    pub const REQ_GLOBAL_CANCEL: i32 = 58;
    pub const REQ_MARKET_DATA_TYPE: i32 = 59;
    pub const REQ_POSITIONS: i32 = 61;
    pub const REQ_ACCOUNT_SUMMARY: i32 = 62;
    pub const CANCEL_ACCOUNT_SUMMARY: i32 = 63;
    pub const CANCEL_POSITIONS: i32 = 64;
    pub const START_API: i32 = 71;
    pub const REQ_SEC_DEF_OPT_PARAMS: i32 = 78;
    pub const REQ_COMPLETED_ORDERS: i32 = 99;
    pub const REQ_CURRENT_TIME_IN_MILLIS: i32 = 105;
    pub const CANCEL_CONTRACT_DATA: i32 = 106;
}

/// Server → client message ids (before the protobuf offset).
pub mod inc {
    #![allow(missing_docs)]
    pub const TICK_PRICE: i32 = 1;
    pub const TICK_SIZE: i32 = 2;
    pub const ORDER_STATUS: i32 = 3;
    pub const ERR_MSG: i32 = 4;
    pub const OPEN_ORDER: i32 = 5;
    pub const ACCT_VALUE: i32 = 6;
    pub const PORTFOLIO_VALUE: i32 = 7;
    pub const ACCT_UPDATE_TIME: i32 = 8;
    pub const NEXT_VALID_ID: i32 = 9;
    pub const CONTRACT_DATA: i32 = 10;
    pub const EXECUTION_DATA: i32 = 11;
    pub const MANAGED_ACCTS: i32 = 15;
    pub const HISTORICAL_DATA: i32 = 17;
    pub const TICK_OPTION_COMPUTATION: i32 = 21;
    pub const TICK_GENERIC: i32 = 45;
    pub const TICK_STRING: i32 = 46;
    pub const CURRENT_TIME: i32 = 49;
    pub const REAL_TIME_BARS: i32 = 50;
    pub const CONTRACT_DATA_END: i32 = 52;
    pub const OPEN_ORDER_END: i32 = 53;
    pub const ACCT_DOWNLOAD_END: i32 = 54;
    pub const EXECUTION_DATA_END: i32 = 55;
    pub const TICK_SNAPSHOT_END: i32 = 57;
    pub const MARKET_DATA_TYPE: i32 = 58;
    pub const COMMISSION_AND_FEES_REPORT: i32 = 59;
    pub const POSITION_DATA: i32 = 61;
    pub const POSITION_END: i32 = 62;
    pub const ACCOUNT_SUMMARY: i32 = 63;
    pub const ACCOUNT_SUMMARY_END: i32 = 64;
    pub const SECURITY_DEFINITION_OPTION_PARAMETER: i32 = 75;
    pub const SECURITY_DEFINITION_OPTION_PARAMETER_END: i32 = 76;
    pub const TICK_REQ_PARAMS: i32 = 81;
    pub const HISTORICAL_DATA_UPDATE: i32 = 90;
    pub const COMPLETED_ORDER: i32 = 101;
    pub const COMPLETED_ORDERS_END: i32 = 102;
    pub const HISTORICAL_DATA_END: i32 = 108;
    pub const CURRENT_TIME_IN_MILLIS: i32 = 109;
}

// ---------------------------------------------------------------- shared

/// One leg of a combo (BAG) contract.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ComboLeg {
    #[prost(int32, optional, tag = "1")]
    pub con_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub ratio: Option<i32>,
    #[prost(string, optional, tag = "3")]
    pub action: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub exchange: Option<String>,
    #[prost(int32, optional, tag = "5")]
    pub open_close: Option<i32>,
    #[prost(double, optional, tag = "9")]
    pub per_leg_price: Option<f64>,
}

/// A contract as it travels in requests and responses.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Contract {
    #[prost(int32, optional, tag = "1")]
    pub con_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub symbol: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub sec_type: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub last_trade_date_or_contract_month: Option<String>,
    #[prost(double, optional, tag = "5")]
    pub strike: Option<f64>,
    #[prost(string, optional, tag = "6")]
    pub right: Option<String>,
    #[prost(double, optional, tag = "7")]
    pub multiplier: Option<f64>,
    #[prost(string, optional, tag = "8")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "9")]
    pub primary_exch: Option<String>,
    #[prost(string, optional, tag = "10")]
    pub currency: Option<String>,
    #[prost(string, optional, tag = "11")]
    pub local_symbol: Option<String>,
    #[prost(string, optional, tag = "12")]
    pub trading_class: Option<String>,
    #[prost(bool, optional, tag = "18")]
    pub include_expired: Option<bool>,
    #[prost(string, optional, tag = "19")]
    pub combo_legs_descrip: Option<String>,
    #[prost(message, repeated, tag = "20")]
    pub combo_legs: Vec<ComboLeg>,
    #[prost(string, optional, tag = "21")]
    pub last_trade_date: Option<String>,
}

/// The order fields the simulator models (the real message has ~145 tags).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Order {
    #[prost(int32, optional, tag = "1")]
    pub client_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub order_id: Option<i32>,
    #[prost(int64, optional, tag = "3")]
    pub perm_id: Option<i64>,
    #[prost(int32, optional, tag = "4")]
    pub parent_id: Option<i32>,
    #[prost(string, optional, tag = "5")]
    pub action: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub total_quantity: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub order_type: Option<String>,
    #[prost(double, optional, tag = "9")]
    pub lmt_price: Option<f64>,
    #[prost(double, optional, tag = "10")]
    pub aux_price: Option<f64>,
    #[prost(string, optional, tag = "11")]
    pub tif: Option<String>,
    #[prost(string, optional, tag = "12")]
    pub account: Option<String>,
    #[prost(bool, optional, tag = "16")]
    pub all_or_none: Option<bool>,
    #[prost(bool, optional, tag = "19")]
    pub outside_rth: Option<bool>,
    #[prost(string, optional, tag = "26")]
    pub good_till_date: Option<String>,
    #[prost(string, optional, tag = "27")]
    pub oca_group: Option<String>,
    #[prost(string, optional, tag = "28")]
    pub order_ref: Option<String>,
    #[prost(map = "string, string", tag = "64")]
    pub smart_combo_routing_params: HashMap<String, String>,
    #[prost(bool, optional, tag = "65")]
    pub what_if: Option<bool>,
    #[prost(bool, optional, tag = "66")]
    pub transmit: Option<bool>,
    #[prost(string, optional, tag = "115")]
    pub filled_quantity: Option<String>,
}

/// Status and economics of an order as carried by openOrder/completedOrder.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OrderState {
    #[prost(string, optional, tag = "1")]
    pub status: Option<String>,
    #[prost(double, optional, tag = "11")]
    pub commission_and_fees: Option<f64>,
    #[prost(string, optional, tag = "14")]
    pub commission_and_fees_currency: Option<String>,
    #[prost(string, optional, tag = "26")]
    pub reject_reason: Option<String>,
    #[prost(string, optional, tag = "28")]
    pub warning_text: Option<String>,
    #[prost(string, optional, tag = "29")]
    pub completed_time: Option<String>,
    #[prost(string, optional, tag = "30")]
    pub completed_status: Option<String>,
}

// ---------------------------------------------------------------- requests

#[derive(Clone, PartialEq, prost::Message)]
pub struct StartApiRequest {
    #[prost(int32, optional, tag = "1")]
    pub client_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub optional_capabilities: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct IdsRequest {
    #[prost(int32, optional, tag = "1")]
    pub num_ids: Option<i32>,
}

/// Any request whose only field the simulator reads is the request id at
/// tag 1 (cancels, contract-data end, ...).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReqIdOnly {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDataRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    pub generic_tick_list: Option<String>,
    #[prost(bool, optional, tag = "4")]
    pub snapshot: Option<bool>,
    #[prost(bool, optional, tag = "5")]
    pub regulatory_snapshot: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDataTypeRequest {
    #[prost(int32, optional, tag = "1")]
    pub market_data_type: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RealTimeBarsRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(int32, optional, tag = "3")]
    pub bar_size: Option<i32>,
    #[prost(string, optional, tag = "4")]
    pub what_to_show: Option<String>,
    #[prost(bool, optional, tag = "5")]
    pub use_rth: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    pub end_date_time: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub bar_size_setting: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub duration: Option<String>,
    #[prost(bool, optional, tag = "6")]
    pub use_rth: Option<bool>,
    #[prost(string, optional, tag = "7")]
    pub what_to_show: Option<String>,
    #[prost(int32, optional, tag = "8")]
    pub format_date: Option<i32>,
    #[prost(bool, optional, tag = "9")]
    pub keep_up_to_date: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContractDataRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SecDefOptParamsRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub underlying_symbol: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub fut_fop_exchange: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub underlying_sec_type: Option<String>,
    #[prost(int32, optional, tag = "5")]
    pub underlying_con_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PlaceOrderRequest {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub order: Option<Order>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CancelOrderRequest {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AutoOpenOrdersRequest {
    #[prost(bool, optional, tag = "1")]
    pub auto_bind: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CompletedOrdersRequest {
    #[prost(bool, optional, tag = "1")]
    pub api_only: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountSummaryRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub group: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub tags: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountDataRequest {
    #[prost(bool, optional, tag = "1")]
    pub subscribe: Option<bool>,
    #[prost(string, optional, tag = "2")]
    pub acct_code: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecutionFilter {
    #[prost(int32, optional, tag = "1")]
    pub client_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub acct_code: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub time: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub symbol: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub sec_type: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub side: Option<String>,
    #[prost(int32, optional, tag = "8")]
    pub last_n_days: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecutionRequest {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub execution_filter: Option<ExecutionFilter>,
}

// ---------------------------------------------------------------- responses

#[derive(Clone, PartialEq, prost::Message)]
pub struct NextValidId {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ManagedAccounts {
    #[prost(string, optional, tag = "1")]
    pub accounts_list: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ErrorMessage {
    #[prost(int32, optional, tag = "1")]
    pub id: Option<i32>,
    #[prost(int64, optional, tag = "2")]
    pub error_time: Option<i64>,
    #[prost(int32, optional, tag = "3")]
    pub error_code: Option<i32>,
    #[prost(string, optional, tag = "4")]
    pub error_msg: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub advanced_order_reject_json: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CurrentTime {
    #[prost(int64, optional, tag = "1")]
    pub current_time: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CurrentTimeInMillis {
    #[prost(int64, optional, tag = "1")]
    pub current_time_in_millis: Option<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickPrice {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(double, optional, tag = "3")]
    pub price: Option<f64>,
    #[prost(string, optional, tag = "4")]
    pub size: Option<String>,
    #[prost(int32, optional, tag = "5")]
    pub attr_mask: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickSize {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(string, optional, tag = "3")]
    pub size: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickGeneric {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(double, optional, tag = "3")]
    pub value: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickString {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(string, optional, tag = "3")]
    pub value: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickOptionComputation {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub tick_type: Option<i32>,
    #[prost(int32, optional, tag = "3")]
    pub tick_attrib: Option<i32>,
    #[prost(double, optional, tag = "4")]
    pub implied_vol: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub delta: Option<f64>,
    #[prost(double, optional, tag = "6")]
    pub opt_price: Option<f64>,
    #[prost(double, optional, tag = "7")]
    pub pv_dividend: Option<f64>,
    #[prost(double, optional, tag = "8")]
    pub gamma: Option<f64>,
    #[prost(double, optional, tag = "9")]
    pub vega: Option<f64>,
    #[prost(double, optional, tag = "10")]
    pub theta: Option<f64>,
    #[prost(double, optional, tag = "11")]
    pub und_price: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TickReqParams {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub min_tick: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub bbo_exchange: Option<String>,
    #[prost(int32, optional, tag = "4")]
    pub snapshot_permissions: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct MarketDataType {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub market_data_type: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RealTimeBarTick {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(int64, optional, tag = "2")]
    pub time: Option<i64>,
    #[prost(double, optional, tag = "3")]
    pub open: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub high: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub low: Option<f64>,
    #[prost(double, optional, tag = "6")]
    pub close: Option<f64>,
    #[prost(string, optional, tag = "7")]
    pub volume: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub wap: Option<String>,
    #[prost(int32, optional, tag = "9")]
    pub count: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataBar {
    #[prost(string, optional, tag = "1")]
    pub date: Option<String>,
    #[prost(double, optional, tag = "2")]
    pub open: Option<f64>,
    #[prost(double, optional, tag = "3")]
    pub high: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub low: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub close: Option<f64>,
    #[prost(string, optional, tag = "6")]
    pub volume: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub wap: Option<String>,
    #[prost(int32, optional, tag = "8")]
    pub bar_count: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalData {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, repeated, tag = "2")]
    pub historical_data_bars: Vec<HistoricalDataBar>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataUpdate {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub historical_data_bar: Option<HistoricalDataBar>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HistoricalDataEnd {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub start_date_str: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub end_date_str: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContractDetails {
    #[prost(string, optional, tag = "1")]
    pub market_name: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub min_tick: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub order_types: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub valid_exchanges: Option<String>,
    #[prost(int32, optional, tag = "5")]
    pub price_magnifier: Option<i32>,
    #[prost(int32, optional, tag = "6")]
    pub under_con_id: Option<i32>,
    #[prost(string, optional, tag = "7")]
    pub long_name: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub contract_month: Option<String>,
    #[prost(string, optional, tag = "12")]
    pub time_zone_id: Option<String>,
    #[prost(string, optional, tag = "13")]
    pub trading_hours: Option<String>,
    #[prost(string, optional, tag = "14")]
    pub liquid_hours: Option<String>,
    #[prost(int32, optional, tag = "18")]
    pub agg_group: Option<i32>,
    #[prost(string, optional, tag = "19")]
    pub under_symbol: Option<String>,
    #[prost(string, optional, tag = "20")]
    pub under_sec_type: Option<String>,
    #[prost(string, optional, tag = "21")]
    pub market_rule_ids: Option<String>,
    #[prost(string, optional, tag = "22")]
    pub real_expiration_date: Option<String>,
    #[prost(string, optional, tag = "23")]
    pub stock_type: Option<String>,
    #[prost(string, optional, tag = "24")]
    pub min_size: Option<String>,
    #[prost(string, optional, tag = "25")]
    pub size_increment: Option<String>,
    #[prost(string, optional, tag = "26")]
    pub suggested_size_increment: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContractData {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub contract_details: Option<ContractDetails>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SecDefOptParameter {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub exchange: Option<String>,
    #[prost(int32, optional, tag = "3")]
    pub underlying_con_id: Option<i32>,
    #[prost(string, optional, tag = "4")]
    pub trading_class: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub multiplier: Option<String>,
    #[prost(string, repeated, tag = "6")]
    pub expirations: Vec<String>,
    #[prost(double, repeated, tag = "7")]
    pub strikes: Vec<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OpenOrder {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub order: Option<Order>,
    #[prost(message, optional, tag = "4")]
    pub order_state: Option<OrderState>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CompletedOrder {
    #[prost(message, optional, tag = "1")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "2")]
    pub order: Option<Order>,
    #[prost(message, optional, tag = "3")]
    pub order_state: Option<OrderState>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OrderStatus {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub status: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub filled: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub remaining: Option<String>,
    #[prost(double, optional, tag = "5")]
    pub avg_fill_price: Option<f64>,
    #[prost(int64, optional, tag = "6")]
    pub perm_id: Option<i64>,
    #[prost(int32, optional, tag = "7")]
    pub parent_id: Option<i32>,
    #[prost(double, optional, tag = "8")]
    pub last_fill_price: Option<f64>,
    #[prost(int32, optional, tag = "9")]
    pub client_id: Option<i32>,
    #[prost(string, optional, tag = "10")]
    pub why_held: Option<String>,
    #[prost(double, optional, tag = "11")]
    pub mkt_cap_price: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Execution {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub exec_id: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub time: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub acct_number: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub side: Option<String>,
    #[prost(string, optional, tag = "7")]
    pub shares: Option<String>,
    #[prost(double, optional, tag = "8")]
    pub price: Option<f64>,
    #[prost(int64, optional, tag = "9")]
    pub perm_id: Option<i64>,
    #[prost(int32, optional, tag = "10")]
    pub client_id: Option<i32>,
    #[prost(bool, optional, tag = "11")]
    pub is_liquidation: Option<bool>,
    #[prost(string, optional, tag = "12")]
    pub cum_qty: Option<String>,
    #[prost(double, optional, tag = "13")]
    pub avg_price: Option<f64>,
    #[prost(string, optional, tag = "14")]
    pub order_ref: Option<String>,
    #[prost(int32, optional, tag = "18")]
    pub last_liquidity: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecutionDetails {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub execution: Option<Execution>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CommissionAndFeesReport {
    #[prost(string, optional, tag = "1")]
    pub exec_id: Option<String>,
    #[prost(double, optional, tag = "2")]
    pub commission_and_fees: Option<f64>,
    #[prost(string, optional, tag = "3")]
    pub currency: Option<String>,
    #[prost(double, optional, tag = "4")]
    pub realized_pnl: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub bond_yield: Option<f64>,
    #[prost(string, optional, tag = "6")]
    pub yield_redemption_date: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Position {
    #[prost(string, optional, tag = "1")]
    pub account: Option<String>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "3")]
    pub position: Option<String>,
    #[prost(double, optional, tag = "4")]
    pub avg_cost: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountSummary {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub account: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub tag: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub value: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub currency: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountValue {
    #[prost(string, optional, tag = "1")]
    pub key: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub currency: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub account_name: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PortfolioValue {
    #[prost(message, optional, tag = "1")]
    pub contract: Option<Contract>,
    #[prost(string, optional, tag = "2")]
    pub position: Option<String>,
    #[prost(double, optional, tag = "3")]
    pub market_price: Option<f64>,
    #[prost(double, optional, tag = "4")]
    pub market_value: Option<f64>,
    #[prost(double, optional, tag = "5")]
    pub average_cost: Option<f64>,
    #[prost(double, optional, tag = "6")]
    pub unrealized_pnl: Option<f64>,
    #[prost(double, optional, tag = "7")]
    pub realized_pnl: Option<f64>,
    #[prost(string, optional, tag = "8")]
    pub account_name: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountUpdateTime {
    #[prost(string, optional, tag = "1")]
    pub time_stamp: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AccountDataEnd {
    #[prost(string, optional, tag = "1")]
    pub account_name: Option<String>,
}

/// A message with no fields (positionEnd, openOrderEnd, completedOrdersEnd,
/// and the empty requests).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Empty {}
