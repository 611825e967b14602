#!/usr/bin/env python3
"""Independent pure-Python Philox4x64-10 and Box-Muller, as hopcap's rng::Stream defines them.

Prints Random123's known-answer vector and the first normals of stream (seed 42, set 0,
memories 0 and 1), the golden values pinned in tests/test_memories.cpp.
"""
import math
M64=(1<<64)-1
def philox(ctr,key):
    c=list(ctr);k=list(key)
    for r in range(10):
        if r>0:
            k=[(k[0]+0x9E3779B97F4A7C15)&M64,(k[1]+0xBB67AE8584CAA73B)&M64]
        p0=0xD2E7470EE14C6C93*c[0]; p1=0xCA5A826395121157*c[2]
        hi0,lo0=p0>>64,p0&M64; hi1,lo1=p1>>64,p1&M64
        c=[hi1^c[1]^k[0],lo1,hi0^c[3]^k[1],lo0]
    return c
print("philox(0,0):", [hex(x) for x in philox([0,0,0,0],[0,0])])
def stream(seed,sid,idx):
    b=0
    while True:
        for v in philox([idx,b,0,0],[seed,sid]): yield v
        b+=1
def normals(seed,sid,idx,n):
    s=stream(seed,sid,idx);out=[]
    while len(out)<n:
        u1=((next(s)>>11)+0.5)*2**-53; u2=(next(s)>>11)*2**-53
        r=math.sqrt(-2*math.log(u1)); a=2*math.pi*u2
        out+= [r*math.cos(a), r*math.sin(a)]
    return out[:n]
g=normals(42,0,0,3)+normals(42,0,1,3)
print(", ".join(repr(x) for x in g))
