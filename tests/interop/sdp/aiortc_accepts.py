import asyncio, subprocess, sys
from aiortc import RTCPeerConnection, RTCSessionDescription
floe = sys.argv[1]
def run(args, inp=None):
    return subprocess.run([floe, 'sdp'] + args, input=inp, capture_output=True, text=True)
async def main():
    # aiortc offers (legacy form); floe answers; aiortc accepts.
    pc = RTCPeerConnection(); pc.createDataChannel('x')
    await pc.setLocalDescription(await pc.createOffer())
    r = run(['--answer', '-'], pc.localDescription.sdp)
    print('floe answer rc', r.returncode, r.stderr)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=r.stdout, type='answer'))
    print('aiortc accepted floe answer:', pc.signalingState)
    # floe offers; aiortc answers; floe reads it.
    offer = run(['--offer']).stdout
    pc2 = RTCPeerConnection()
    await pc2.setRemoteDescription(RTCSessionDescription(sdp=offer, type='offer'))
    await pc2.setLocalDescription(await pc2.createAnswer())
    r = run(['--type', 'answer', '-'], pc2.localDescription.sdp)
    print('floe read aiortc answer rc', r.returncode, r.stdout[:400], r.stderr)
    await pc.close(); await pc2.close()
asyncio.run(main())
