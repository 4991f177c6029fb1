#include "turn/channel_data.hpp"

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"

namespace floe::turn {

std::string_view to_string(ChannelDataError error) {
    switch (error) {
        case ChannelDataError::too_short:
            return "shorter than the 4-byte ChannelData header";
        case ChannelDataError::bad_channel:
            return "channel number outside 0x4000-0x4FFF";
        case ChannelDataError::length_overrun:
            return "ChannelData length runs past the end";
    }
    return "?";
}

Result<ChannelData, ChannelDataError> decode_channel_data(ByteSpan bytes) {
    ByteReader r(bytes);
    const auto channel = r.u16();
    const auto length = r.u16();
    if (!channel || !length) return fail(ChannelDataError::too_short);
    if (!is_valid_channel(*channel)) return fail(ChannelDataError::bad_channel);
    const auto data = r.bytes(*length);
    if (!data) return fail(ChannelDataError::length_overrun);
    return ChannelData{*channel, *data};
}

void encode_channel_data(Bytes& out, std::uint16_t channel, ByteSpan data, bool pad) {
    ByteWriter w(out);
    w.u16(channel);
    w.u16(static_cast<std::uint16_t>(data.size()));
    w.bytes(data);
    if (pad) w.zeros(channel_data_size(data.size(), true) - channel_data_size(data.size(), false));
}

}  // namespace floe::turn
