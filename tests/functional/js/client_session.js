// bitsharesjs + bitsharesjs-ws against a graphex devnet, as a BitShares web wallet would use them.
//
// Usage: node client_session.js <ws-url> <chain-id> <alice-wif> <order-json> <transfer-json>
//   order-json:    {"amount_to_sell": {...}, "min_to_receive": {...}}   (alice's limit order)
//   transfer-json: {"to": "bob", "amount": {...}}                       (alice's transfer)
// Prints one JSON object on stdout: what the library read and the results of the two
// broadcasts; exits non-zero (stack on stderr) on any error. Driven by test_bitsharesjs.py.
"use strict";

const { Apis, ChainConfig } = require("bitsharesjs-ws");
const { PrivateKey, TransactionBuilder } = require("bitsharesjs");

const CONNECT_TIMEOUT_MS = 10000;
const ORDER_EXPIRATION_S = 3600;

async function connect(url, chainId) {
  // bitsharesjs knows BitShares and its testnet; the devnet is declared as a network so that
  // init_promise's ChainConfig.setChainId recognises it and keys print with the GPX prefix.
  ChainConfig.networks.GPX = { core_asset: "GPX", address_prefix: "GPX", chain_id: chainId };
  ChainConfig.setPrefix("GPX");
  const apis = Apis.instance(url, true, CONNECT_TIMEOUT_MS);
  await apis.init_promise;
  if (apis.chain_id !== chainId || ChainConfig.network_name !== "GPX") {
    throw new Error(`connected to chain ${apis.chain_id}, expected the devnet ${chainId}`);
  }
}

async function signAndBroadcast(key, opName, op) {
  const tr = new TransactionBuilder();
  tr.add_type_operation(opName, op);
  await tr.set_required_fees();
  tr.add_signer(key, key.toPublicKey().toPublicKeyString());
  // resolves with broadcast_transaction_with_callback's notice: [{id, block_num, trx_num, trx}]
  const confirmed = await tr.broadcast();
  return { id: tr.id(), confirmed, serialized: tr.serialize() };
}

function expiration(headTime) {
  const head = new Date(headTime + "Z").getTime();
  return new Date(head + ORDER_EXPIRATION_S * 1000).toISOString().slice(0, 19);
}

async function main() {
  const [url, chainId, wif, orderJson, transferJson] = process.argv.slice(2);
  const order = JSON.parse(orderJson);
  const transfer = JSON.parse(transferJson);
  await connect(url, chainId);
  const db = Apis.instance().db_api();

  const key = PrivateKey.fromWif(wif);
  const publicKey = key.toPublicKey().toPublicKeyString();
  const [[aliceName, alice]] = await db.exec("get_full_accounts", [["alice"], false]);
  const [to] = await db.exec("lookup_account_names", [[transfer.to]]);
  const [dynamic] = await db.exec("get_objects", [["2.1.0"]]);

  const placed = await signAndBroadcast(key, "limit_order_create", {
    fee: { amount: 0, asset_id: "1.3.0" },
    seller: alice.account.id,
    amount_to_sell: order.amount_to_sell,
    min_to_receive: order.min_to_receive,
    expiration: expiration(dynamic.time),
    fill_or_kill: false,
    extensions: [],
  });
  const sold = order.amount_to_sell.asset_id;
  const wanted = order.min_to_receive.asset_id;
  const orderBook = await db.exec("get_order_book", [wanted, sold, 50]);
  const limitOrders = await db.exec("get_limit_orders", [sold, wanted, 10]);

  const sent = await signAndBroadcast(key, "transfer", {
    fee: { amount: 0, asset_id: "1.3.0" },
    from: alice.account.id,
    to: to.id,
    amount: transfer.amount,
    extensions: [],
  });
  const [[, aliceAfter]] = await db.exec("get_full_accounts", [["alice"], false]);
  const connectedTo = Apis.instance().chain_id;
  await Apis.close();
  return {
    chain_id: connectedTo,
    network_name: ChainConfig.network_name,
    address_prefix: ChainConfig.address_prefix,
    public_key: publicKey,
    account_name: aliceName,
    account: alice,
    account_after: aliceAfter,
    order: placed,
    order_book: orderBook,
    limit_orders: limitOrders,
    transfer: sent,
  };
}

main().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  },
  (error) => {
    const detail = error && error.stack ? error.stack : JSON.stringify(error);
    process.stderr.write(`client_session failed: ${detail}\n`);
    process.exit(1);
  },
);
