def test_x():
    from tests.chain.market.helpers import market_chain, LimitOrderCancel, Asset, GPX, ids, oid, new_uia, issue
    c=market_chain(cancel_fee=100000, maker_fee_discount_percent=1000, market_fee_network_percent=2000)
    p=c.state.params
    print(p.maker_fee_discount_percent, p.market_fee_network_percent)
    from graphex.protocol.fees import fee_for
    print(fee_for(p.current_fees, LimitOrderCancel(Asset(0,GPX), ids.COMMITTEE_ACCOUNT, oid(0))))
    u=new_uia(c,'USD'); print(u, c.state.head_time, c.state.head_num)
    issue(c,u,{'bob':1000,'carol':500})
    print(c.balance('bob',u), c.balance('carol',u))
