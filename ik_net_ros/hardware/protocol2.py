"""
Dynamixel Protocol 2.0 packets: CRC-16, byte stuffing, instruction and status packets.

Used by the servo emulator (the arm backend itself talks through dynamixel-sdk).
Instruction: FF FF FD 00 | ID | LEN_L LEN_H | INST | params | CRC_L CRC_H, LEN = params + 3
(counted after stuffing). Status: the same with INST 0x55 and an ERR byte before the params.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ['HEADER', 'BROADCAST_ID', 'crc16', 'stuff', 'unstuff', 'build_packet', 'Packet',
           'parse_packet', 'Instruction', 'Error']

HEADER = b'\xff\xff\xfd\x00'
BROADCAST_ID = 0xFE


class Instruction:
    PING, READ, WRITE, REG_WRITE, ACTION, FACTORY_RESET = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
    REBOOT, CLEAR, STATUS = 0x08, 0x10, 0x55
    SYNC_READ, SYNC_WRITE, FAST_SYNC_READ = 0x82, 0x83, 0x8A
    BULK_READ, BULK_WRITE = 0x92, 0x93


class Error:
    """Low bits of a status packet's ERR byte; bit 7 is the hardware alert."""

    NONE, RESULT_FAIL, INSTRUCTION, CRC, DATA_RANGE, DATA_LENGTH, DATA_LIMIT, ACCESS = range(8)
    ALERT = 0x80


def _make_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_TABLE = _make_table()


def crc16(data: bytes) -> int:
    """CRC-16 of Protocol 2.0: polynomial 0x8005, initial 0, not reflected."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) ^ _TABLE[((crc >> 8) ^ byte) & 0xFF]) & 0xFFFF
    return crc


def stuff(body: bytes) -> bytes:
    """Insert 0xFD after every FF FF FD in ``body`` (instruction through last parameter)."""
    out = bytearray()
    for byte in body:
        out.append(byte)
        if len(out) >= 3 and out[-3:] == b'\xff\xff\xfd':
            out.append(0xFD)
    return bytes(out)


def unstuff(body: bytes) -> bytes:
    """Remove the 0xFD inserted after every FF FF FD."""
    out = bytearray()
    i = 0
    while i < len(body):
        out.append(body[i])
        if len(out) >= 3 and out[-3:] == b'\xff\xff\xfd' and body[i + 1:i + 2] == b'\xfd':
            i += 1  # skip the stuffed byte
        i += 1
    return bytes(out)


def build_packet(dxl_id: int, instruction: int, params: bytes = b'',
                 error: int | None = None) -> bytes:
    """Return a complete packet; a status packet when ``error`` is given (INST 0x55, then ERR)."""
    body = bytes([instruction]) + (bytes([error]) if error is not None else b'') + bytes(params)
    body = stuff(body)
    length = len(body) + 2  # + CRC
    head = HEADER + bytes([dxl_id, length & 0xFF, length >> 8])
    crc = crc16(head + body)
    return head + body + bytes([crc & 0xFF, crc >> 8])


@dataclass
class Packet:
    """A parsed packet: ``params`` unstuffed; ``error`` only for status packets."""

    dxl_id: int
    instruction: int
    params: bytes
    error: int | None = None


def parse_packet(buffer: bytes) -> tuple[Packet | None, int, bool]:
    """
    Find and parse the first packet in ``buffer``.

    Returns (packet or None, bytes consumed, crc_ok). (None, n, True) means: discard n bytes of
    noise and/or wait for more data (n may be 0). A packet with a bad CRC is returned as
    (None, its length, False).
    """
    start = buffer.find(HEADER)
    if start < 0:
        keep = 3 if buffer.endswith(b'\xff\xff\xfd') else (2 if buffer.endswith(b'\xff\xff')
                                                           else (1 if buffer.endswith(b'\xff')
                                                                 else 0))
        return None, len(buffer) - keep, True
    if len(buffer) < start + 7:
        return None, start, True
    length = buffer[start + 5] | (buffer[start + 6] << 8)
    end = start + 7 + length
    if length < 3:
        return None, start + 4, True
    if len(buffer) < end:
        return None, start, True
    raw = buffer[start:end]
    crc = raw[-2] | (raw[-1] << 8)
    if crc16(raw[:-2]) != crc:
        return None, end, False
    body = unstuff(raw[7:-2])
    instruction = body[0]
    if instruction == Instruction.STATUS:
        return Packet(raw[4], instruction, body[2:], body[1]), end, True
    return Packet(raw[4], instruction, body[1:]), end, True
